#include "command_line.h"

#include <cstdlib>
#include <cxxopts.hpp>
#include <iostream>
#include <string_view>
#include <vector>

#include "streamkeeper/offset.h"

namespace ds_admin {
namespace {

constexpr std::string_view kIntro =
    "ds-admin: inspect and operate a Streamkeeper store, running or stopped.\n"
    "\n"
    "Reading commands (list, show, read, tail, stats, verify, export) work on a data directory\n"
    "whether or not a server runs on it: on a live one they open a RocksDB secondary instance\n"
    "that catches up with the server before answering, so they see every acknowledged append.\n"
    "Changing commands (delete, compact, expire, import) refuse a directory a server holds;\n"
    "give them --url (and --token when auth is on) to go through that server's HTTP API.\n"
    "ds-admin never expires streams on its own; only `expire` does.\n"
    "\n"
    "Usage: ds-admin <command> [<args>] (--data-dir DIR | --url URL) [options]\n"
    "       ds-admin <command> --help\n";

constexpr std::string_view kExitCodes =
    "Exit codes: 0 ok; 1 operational error (message on stderr), or problems found by verify;\n"
    "            2 usage error.\n"
    "Offsets are \"%016llu_%016llu\" strings as served by the protocol (segment _ position);\n"
    "--offset also accepts -1 (start) and now (tail).\n";

enum class Positional {
  kNone,
  kPath,   // exactly one stream path
  kPaths,  // any number of stream paths (export: none with --prefix)
  kFile,   // exactly one file
};

// Where a command finds the store.
enum class Target {
  kDataDir,       // --data-dir only
  kDataDirOrUrl,  // --data-dir, or --url of the server holding it (exactly one)
  kUrlOrDataDir,  // the same, for commands whose main use is a running server (backup)
};

// Option groups a command takes, beyond its target.
enum OptionSet : unsigned {
  kJsonOption = 1u << 0,      // --json
  kReadOptions = 1u << 1,     // --offset, --max-bytes, --limit (records), --format
  kTailOptions = 1u << 2,     // --offset (default now), --format
  kPageOptions = 1u << 3,     // --prefix, --start-after, --limit (streams)
  kOutOption = 1u << 4,       // --out FILE (required)
  kPrefixOption = 1u << 5,    // --prefix (export)
  kSkipExisting = 1u << 6,    // --skip-existing
};

struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  Positional positional;
  Target target;
  unsigned options;
  int (*run)(const Invocation&);
};

constexpr CommandSpec kCommands[] = {
    {"list",
     "List stored streams (live, expired and soft-deleted) in path order, a page at a time:\n"
     "--limit streams (default 1000) from after --start-after; the offset to continue from is\n"
     "printed on stderr when more follow. --json prints one object per line.",
     Positional::kNone, Target::kDataDir, kJsonOption | kPageOptions, RunList},
    {"show", "Show one stream's metadata and its idempotent producers.", Positional::kPath,
     Target::kDataDir, kJsonOption, RunShow},
    {"read",
     "Print a stream's content. Reads through the StreamManager, so a fork includes its\n"
     "parent's data. Without --max-bytes or --limit reads to the tail; when data remains, the\n"
     "offset to continue from is printed on stderr. Reading never changes the directory.\n"
     "A unit is a JSON message (JSON streams) or an append record (other streams).\n"
     "--format raw: the bytes (JSON streams: one JSON array); jsonl: one object per unit and\n"
     "line, {\"offset\":O,\"data\":<the message>} for JSON, {\"offset\":O,\"text\":T} for text/*\n"
     "content that is valid UTF-8, else {\"offset\":O,\"base64\":B}; json: one document\n"
     "{\"path\",\"content_type\",\"next_offset\",\"records\":[those objects]}; hex: per unit a\n"
     "line \"offset O, N bytes\" then a hex dump.",
     Positional::kPath, Target::kDataDir, kReadOptions, RunRead},
    {"tail",
     "Print what is appended to a stream as it arrives, from --offset (default now), until\n"
     "interrupted or the stream is closed (exit 0). From the data directory (a secondary\n"
     "instance polling the server's) or, with --url, from the server by long-poll. A deleted\n"
     "stream ends it with exit 1. --format as for read, printed as units arrive, except raw\n"
     "JSON (one message a line) and json (one document a line per batch); via --url a byte\n"
     "stream's unit is what one response carried.",
     Positional::kPath, Target::kDataDirOrUrl, kTailOptions, RunTail},
    {"delete",
     "Delete a stream. A stream that forks still read from is soft-deleted (gone for clients,\n"
     "kept for the forks) and removed with its last fork.",
     Positional::kPath, Target::kDataDirOrUrl, 0, RunDelete},
    {"compact",
     "Compact the database fully (dropping data of deleted streams) and print the directory\n"
     "size before and after.",
     Positional::kNone, Target::kDataDirOrUrl, kJsonOption, RunCompact},
    {"expire", "Run the expiry sweep now: remove every stream whose TTL or Expires-At has passed.",
     Positional::kNone, Target::kDataDirOrUrl, kJsonOption, RunExpire},
    {"verify",
     "Check for damage, then invariants. Damage: the directory is opened read-only (nothing is\n"
     "repaired; a torn WAL tail is reported, not dropped), a damaged CURRENT, MANIFEST or table\n"
     "file, a missing one, or any table block whose checksum fails (every block is read).\n"
     "Invariants: each stream's records are contiguous from 0 (a fork's from its fork\n"
     "position) and end at the tail, none is empty, JSON records decode; fork parents exist with\n"
     "the referenced generation; refcounts equal the forks referencing each stream; soft-deleted\n"
     "streams are still referenced. Prints every problem and exits 1 if there is any.",
     Positional::kNone, Target::kDataDir, kJsonOption, RunVerify},
    {"stats", "Stream count, records, payload bytes and the data directory's size on disk.",
     Positional::kNone, Target::kDataDir, kJsonOption, RunStats},
    {"backup",
     "Save a consistent point-in-time snapshot of the whole store as a tar file: from a running\n"
     "server (--url, GET /_admin/snapshot) or from a stopped data directory.",
     Positional::kNone, Target::kUrlOrDataDir, kOutOption | kJsonOption, RunBackup},
    {"restore",
     "Unpack a backup into a new data directory (which must not exist or be empty) and check\n"
     "it; a server then starts on that directory.",
     Positional::kFile, Target::kDataDir, kJsonOption, RunRestore},
    {"export",
     "Write streams (the paths given, or every one under --prefix) to --out in the portable,\n"
     "versioned JSON-lines format of tools/ds_admin/README.md. Exports what clients read:\n"
     "soft-deleted and expired streams are left out, forks are written flattened (their\n"
     "source's data included). With --out -, the summary goes to stderr.",
     Positional::kPaths, Target::kDataDir, kOutOption | kPrefixOption | kJsonOption, RunExport},
    {"import",
     "Recreate the streams of an export file: into a stopped data directory (created when\n"
     "missing or empty) with offsets, times, TTLs and producer states kept, or through a\n"
     "running server's API (--url; new offsets, order kept, producer states dropped). The whole\n"
     "file is checked first; streams that exist are refused, by name, unless --skip-existing\n"
     "(--url only) skips them.",
     Positional::kFile, Target::kDataDirOrUrl, kSkipExisting | kJsonOption, RunImport},
};

const CommandSpec* FindCommand(std::string_view name) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Positionals go to a hidden group so that help shows only real options.
constexpr const char* kPositionalGroup = "positional";

std::string Synopsis(const CommandSpec& spec) {
  std::string synopsis;
  switch (spec.positional) {
    case Positional::kNone: break;
    case Positional::kPath: synopsis = "<path> "; break;
    case Positional::kPaths: synopsis = "<path>... "; break;
    case Positional::kFile: synopsis = "<file> "; break;
  }
  switch (spec.target) {
    case Target::kDataDir: synopsis += "--data-dir DIR"; break;
    case Target::kDataDirOrUrl: synopsis += "(--data-dir DIR | --url URL)"; break;
    case Target::kUrlOrDataDir: synopsis += "(--url URL | --data-dir DIR)"; break;
  }
  if (spec.options & kOutOption) synopsis += " --out FILE";
  return synopsis + " [options]";
}

cxxopts::Options BuildOptions(const CommandSpec& spec) {
  cxxopts::Options options("ds-admin " + std::string(spec.name), std::string(spec.summary));
  options.set_width(100);
  options.custom_help(Synopsis(spec));
  options.positional_help("");
  options.add_options()("d,data-dir",
                        spec.name == "restore"
                            ? "The directory to restore into (created; must be empty)"
                            : "The server's data directory (never created)",
                        cxxopts::value<std::string>(), "DIR")("h,help", "Print this help");
  if (spec.target != Target::kDataDir) {
    options.add_options()("url", "A running server's base URL, e.g. http://127.0.0.1:4437",
                          cxxopts::value<std::string>(), "URL")(
        "token", "Bearer token for --url (default: $DS_ADMIN_TOKEN)",
        cxxopts::value<std::string>(), "T")(
        "ca", "PEM file of the CAs an https --url must chain to (default: the system's)",
        cxxopts::value<std::string>(), "FILE");
  }
  if (spec.options & kJsonOption) options.add_options()("json", "Print JSON instead of text");
  if (spec.options & (kReadOptions | kTailOptions)) {
    options.add_options()("offset", "Where to start: an offset, -1 (start) or now (tail)",
                          cxxopts::value<std::string>()->default_value(
                              (spec.options & kTailOptions) ? "now" : "-1"),
                          "O")("format", "raw, json, jsonl or hex",
                               cxxopts::value<std::string>()->default_value("raw"), "F");
  }
  if (spec.options & kReadOptions) {
    options.add_options()("max-bytes",
                          "Read once, stopping after the unit that reaches N payload bytes",
                          cxxopts::value<size_t>(), "N")(
        "limit", "Stop after N records (JSON streams: messages)", cxxopts::value<size_t>(), "N");
  }
  if (spec.options & kPageOptions) {
    options.add_options()("prefix", "Only paths that start with P", cxxopts::value<std::string>(),
                          "P")("start-after", "Only paths that sort after P (to page)",
                               cxxopts::value<std::string>(), "P")(
        "limit", "At most N streams", cxxopts::value<size_t>()->default_value("1000"), "N");
  }
  if (spec.options & kPrefixOption) {
    options.add_options()("prefix", "Every stream whose path starts with P (\"\" for all)",
                          cxxopts::value<std::string>(), "P");
  }
  if (spec.options & kOutOption) {
    options.add_options()("out", "The file to write (required; '-' for stdout)",
                          cxxopts::value<std::string>(), "FILE");
  }
  if (spec.options & kSkipExisting) {
    options.add_options()("skip-existing", "With --url: leave streams that exist, import the rest");
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

std::optional<ReadFormat> ParseFormat(const std::string& name) {
  if (name == "raw") return ReadFormat::kRaw;
  if (name == "json") return ReadFormat::kJson;
  if (name == "jsonl") return ReadFormat::kJsonl;
  if (name == "hex") return ReadFormat::kHex;
  return std::nullopt;
}

std::string StringOption(const cxxopts::ParseResult& result, const char* name) {
  return result.count(name) ? result[name].as<std::string>() : std::string();
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
  bool prefix_given = false;
  try {
    // argv[1] (the command) stands in for the program name.
    cxxopts::ParseResult result = options.parse(argc - 1, argv + 1);
    if (result.count("help")) {
      std::cout << CommandHelp(*spec) << "\n" << kExitCodes;
      return kExitOk;
    }
    if (result.count("args")) positionals = result["args"].as<std::vector<std::string>>();
    invocation.data_dir = StringOption(result, "data-dir");
    if (spec->target != Target::kDataDir) {
      invocation.url = StringOption(result, "url");
      invocation.token = StringOption(result, "token");
      if (!result.count("token")) {
        if (const char* env = std::getenv("DS_ADMIN_TOKEN")) invocation.token = env;
      }
      invocation.ca_file = StringOption(result, "ca");
      if (result.count("url") && invocation.url.empty()) {
        return UsageError("--url must not be empty", name);
      }
    }
    bool has_dir = result.count("data-dir") > 0;
    if (has_dir && invocation.data_dir.empty()) {
      return UsageError("--data-dir must not be empty", name);
    }
    if (spec->target == Target::kDataDir && !has_dir) {
      return UsageError("--data-dir is required", name);
    }
    if (spec->target != Target::kDataDir && has_dir == !invocation.url.empty()) {
      return UsageError("give exactly one of --data-dir and --url", name);
    }
    if (spec->options & kJsonOption) invocation.json = result.count("json") > 0;
    if (spec->options & (kReadOptions | kTailOptions)) {
      invocation.offset = result["offset"].as<std::string>();
      std::optional<streamkeeper::ParsedOffset> offset = streamkeeper::ParseOffset(invocation.offset);
      if (!offset) {
        return UsageError("--offset '" + invocation.offset + "' is not an offset, -1 or now",
                          name);
      }
      if (offset->kind == streamkeeper::ParsedOffset::Kind::kStart) invocation.start = 0;
      if (offset->kind == streamkeeper::ParsedOffset::Kind::kPosition) {
        invocation.start = offset->position;
      }
      std::optional<ReadFormat> format = ParseFormat(result["format"].as<std::string>());
      if (!format) {
        return UsageError("--format must be raw, json, jsonl or hex, not '" +
                              result["format"].as<std::string>() + "'",
                          name);
      }
      invocation.format = *format;
    }
    if (spec->options & kReadOptions) {
      if (result.count("max-bytes")) invocation.max_bytes = result["max-bytes"].as<size_t>();
      if (result.count("limit")) invocation.limit = result["limit"].as<size_t>();
    }
    if (spec->options & kPageOptions) {
      invocation.prefix = StringOption(result, "prefix");
      invocation.start_after = StringOption(result, "start-after");
      invocation.limit = result["limit"].as<size_t>();
    }
    if (spec->options & kPrefixOption) {
      prefix_given = result.count("prefix") > 0;
      invocation.prefix = StringOption(result, "prefix");
    }
    if (spec->options & kOutOption) {
      invocation.out = StringOption(result, "out");
      if (invocation.out.empty()) return UsageError("--out FILE is required", name);
    }
    if (spec->options & kSkipExisting) {
      invocation.skip_existing = result.count("skip-existing") > 0;
      if (invocation.skip_existing && invocation.url.empty()) {
        return UsageError("--skip-existing goes with --url (an offline import needs an empty "
                          "directory)",
                          name);
      }
    }
  } catch (const cxxopts::exceptions::exception& e) {
    return UsageError(e.what(), name);
  }

  switch (spec->positional) {
    case Positional::kNone:
      if (!positionals.empty()) return UsageError("unexpected argument '" + positionals[0] + "'", name);
      break;
    case Positional::kPath:
    case Positional::kFile:
      if (positionals.empty()) {
        return UsageError(spec->positional == Positional::kPath ? "missing <path> argument"
                                                                : "missing <file> argument",
                          name);
      }
      if (positionals.size() > 1) {
        return UsageError("unexpected argument '" + positionals[1] + "'", name);
      }
      if (spec->positional == Positional::kFile) invocation.file = positionals[0];
      break;
    case Positional::kPaths:
      if (positionals.empty() == !prefix_given) {
        return UsageError("give stream paths or --prefix (one of them)", name);
      }
      break;
  }
  if (spec->positional != Positional::kFile) invocation.paths = positionals;
  if (!invocation.paths.empty()) invocation.path = invocation.paths[0];
  if (invocation.max_bytes && *invocation.max_bytes == 0) {
    return UsageError("--max-bytes must be at least 1", name);
  }
  if (invocation.limit && *invocation.limit == 0) {
    return UsageError("--limit must be at least 1", name);
  }
  return spec->run(invocation);
}

}  // namespace ds_admin
