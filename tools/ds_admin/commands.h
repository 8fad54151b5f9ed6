// The ds-admin subcommands. Each one takes a parsed Invocation, writes its result to stdout and
// its errors to stderr, and returns the process exit code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ds_admin {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,  // operational error, or problems found by verify
  kExitUsage = 2,  // bad command line
};

// How `read` and `tail` print what they read.
enum class ReadFormat {
  kRaw,    // the bytes as stored (JSON streams: the messages as one JSON array per read)
  kJson,   // one JSON document: {"path":..,"content_type":..,"records":[{"offset":..,...}]}
  kJsonl,  // one JSON object per line: a message (JSON streams) or an append record, with offset
  kHex,    // a hex dump of each record, headed by its offset
};

// Everything a command may need from the command line; each command reads only its own fields.
struct Invocation {
  std::string data_dir;           // --data-dir (empty when the command works through --url)
  std::string url;                // --url: a running server's base URL ("http://127.0.0.1:4437")
  std::string token;              // --token, else $DS_ADMIN_TOKEN: the bearer token for --url
  std::string ca_file;            // --ca: CAs to check an https --url against (default: system)
  std::vector<std::string> paths;  // the positional stream paths (show/read/delete/tail: one)
  std::string path;               // paths[0] when there is one
  std::string file;               // restore, import: the positional file
  std::string out;                // backup, export: --out FILE
  bool json = false;              // --json: JSON instead of text
  std::string offset = "-1";      // read, tail: where to start ("-1", "now" or an offset)
  std::optional<uint64_t> start;  // read, tail: `offset` checked and decoded; nullopt: now
  std::optional<size_t> max_bytes;  // read: stop after about this many payload bytes
  std::optional<size_t> limit;      // list: streams per page; read: records
  ReadFormat format = ReadFormat::kRaw;  // read, tail
  std::string prefix;             // list, export: only paths starting with this
  std::string start_after;        // list: only paths sorting after this
  bool skip_existing = false;     // import --url: leave streams that exist, import the rest
};

int RunList(const Invocation& invocation);
int RunShow(const Invocation& invocation);
int RunRead(const Invocation& invocation);
int RunTail(const Invocation& invocation);
int RunDelete(const Invocation& invocation);
int RunCompact(const Invocation& invocation);
int RunExpire(const Invocation& invocation);
int RunVerify(const Invocation& invocation);
int RunStats(const Invocation& invocation);
int RunBackup(const Invocation& invocation);
int RunRestore(const Invocation& invocation);
int RunExport(const Invocation& invocation);
int RunImport(const Invocation& invocation);

}  // namespace ds_admin
