#include "command_line.h"

#include <cxxopts.hpp>
#include <iostream>
#include <string_view>
#include <vector>

namespace ds_admin {
namespace {

constexpr std::string_view kIntro =
    "ds-admin: inspect and operate a Streamkeeper RocksDB data directory.\n"
    "\n"
    "Run it only while the server is stopped: the server holds the directory's RocksDB LOCK, and\n"
    "ds-admin then fails with a 'locked' error instead of touching the data. ds-admin never\n"
    "expires streams on its own; only `delete` and `compact` change the directory.\n"
    "\n"
    "Usage: ds-admin <command> --data-dir DIR [options]\n"
    "       ds-admin <command> --help\n";

constexpr std::string_view kExitCodes =
    "Exit codes: 0 ok; 1 operational error (message on stderr), or problems found by verify;\n"
    "            2 usage error.\n"
    "Offsets are \"%016llu_%016llu\" strings as served by the protocol (segment _ position);\n"
    "--offset also accepts -1 (start) and now (tail).\n";

enum class Positional { kNone, kPath };

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  Positional positional;
  int (*run)(const Invocation&);
  bool json_option;
  bool read_options;
};

constexpr CommandSpec kCommands[] = {
    {"list", "List every stored stream (live, expired and soft-deleted) as a table.",
     Positional::kNone, RunList, true, false},
    {"show", "Show one stream's metadata and its idempotent producers.", Positional::kPath, RunShow,
     true, false},
    {"read",
     "Print a stream's content: raw bytes, or for JSON streams one JSON array and a newline.\n"
     "Reads through the StreamManager, so a fork includes its parent's data. Without --max-bytes\n"
     "reads to the tail; when data remains, the offset to continue from is printed on stderr.\n"
     "Reading never changes the directory (no sliding-TTL touch, no expiry).",
     Positional::kPath, RunRead, false, true},
    {"delete",
     "Delete a stream. A stream that forks still read from is soft-deleted (gone for clients,\n"
     "kept for the forks) and removed with its last fork.",
     Positional::kPath, RunDelete, false, false},
    {"compact",
     "Compact the database fully (dropping data of deleted streams) and print the directory\n"
     "size before and after.",
     Positional::kNone, RunCompact, false, false},
    {"verify",
     "Check for damage, then invariants. Damage: the directory is opened read-only (nothing is\n"
     "repaired; a torn WAL tail is reported, not dropped), a damaged CURRENT, MANIFEST or table\n"
     "file, a missing one, or any table block whose checksum fails (every block is read).\n"
     "Invariants: each stream's records are contiguous from 0 (a fork's from its fork\n"
     "position) and end at the tail, none is empty, JSON records decode; fork parents exist with\n"
     "the referenced generation; refcounts equal the forks referencing each stream; soft-deleted\n"
     "streams are still referenced. Prints every problem and exits 1 if there is any.",
     Positional::kNone, RunVerify, false, false},
    {"stats", "Stream count, records, payload bytes and the data directory's size on disk.",
     Positional::kNone, RunStats, true, false},
};

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Positionals go to a hidden group so that help shows only real options.
constexpr const char* kPositionalGroup = "positional";

cxxopts::Options BuildOptions(const CommandSpec& spec) {
  cxxopts::Options options("ds-admin " + std::string(spec.name), std::string(spec.summary));
  options.set_width(100);
  options.custom_help(spec.positional == Positional::kPath ? "<path> --data-dir DIR [options]"
                                                           : "--data-dir DIR [options]");
  options.positional_help("");
  options.add_options()("d,data-dir", "The server's data directory (required; never created)",
                        cxxopts::value<std::string>(), "DIR")("h,help", "Print this help");
  if (spec.json_option) {
    options.add_options()("json", "Print JSON instead of text");
  }
  if (spec.read_options) {
    options.add_options()("offset", "Where to start: an offset, -1 (start) or now (tail)",
                          cxxopts::value<std::string>()->default_value("-1"), "O")(
        "max-bytes", "Read once, stopping after the unit that reaches N payload bytes",
        cxxopts::value<size_t>(), "N");
  }
  options.add_options(kPositionalGroup)("args", "", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"args"});
  return options;
}

std::string CommandHelp(const CommandSpec& spec) { return BuildOptions(spec).help({""}); }

void PrintOverview(std::ostream& out) {
  out << kIntro << "\nCommands:\n";
  for (const CommandSpec& spec : kCommands) {
    out << "\n" << CommandHelp(spec);
  }
  out << "\n" << kExitCodes;
}

int UsageError(const std::string& message, std::string_view command) {
  std::cerr << "ds-admin: " << message << "\n";
  if (command.empty()) {
    std::cerr << "Run 'ds-admin --help' for usage.\n";
  } else {
    std::cerr << "Run 'ds-admin " << command << " --help' for usage.\n";
  }
  return kExitUsage;
}

}  // namespace

int Dispatch(int argc, char** argv) {
  if (argc < 2) return UsageError("no command given", "");
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintOverview(std::cout);
    return kExitOk;
  }
  const CommandSpec* spec = FindCommand(name);
  if (!spec) return UsageError("unknown command '" + std::string(name) + "'", "");

  cxxopts::Options options = BuildOptions(*spec);
  Invocation invocation;
  std::vector<std::string> positionals;
  try {
    // argv[1] (the command) stands in for the program name.
    cxxopts::ParseResult result = options.parse(argc - 1, argv + 1);
    if (result.count("help")) {
      std::cout << CommandHelp(*spec) << "\n" << kExitCodes;
      return kExitOk;
    }
    if (result.count("args")) positionals = result["args"].as<std::vector<std::string>>();
    if (!result.count("data-dir") || result["data-dir"].as<std::string>().empty()) {
      return UsageError("--data-dir is required", name);
    }
    invocation.data_dir = result["data-dir"].as<std::string>();
    if (spec->json_option) invocation.json = result.count("json") > 0;
    if (spec->read_options) {
      invocation.offset = result["offset"].as<std::string>();
      if (result.count("max-bytes")) invocation.max_bytes = result["max-bytes"].as<size_t>();
    }
  } catch (const cxxopts::exceptions::exception& e) {
    return UsageError(e.what(), name);
  }

  size_t wanted = spec->positional == Positional::kPath ? 1 : 0;
  if (positionals.size() < wanted) return UsageError("missing <path> argument", name);
  if (positionals.size() > wanted) {
    return UsageError("unexpected argument '" + positionals[wanted] + "'", name);
  }
  if (wanted) invocation.path = positionals[0];
  if (invocation.max_bytes && *invocation.max_bytes == 0) {
    return UsageError("--max-bytes must be at least 1", name);
  }
  return spec->run(invocation);
}

}  // namespace ds_admin
