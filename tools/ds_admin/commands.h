// The ds-admin subcommands. Each one takes a parsed Invocation, writes its result to stdout and
// its errors to stderr, and returns the process exit code.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace ds_admin {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,  // operational error, or problems found by verify
  kExitUsage = 2,  // bad command line
};

// Everything a command may need from the command line; each command reads only its own fields.
struct Invocation {
  std::string data_dir;
  std::string path;                 // show, read, delete: the stream
  bool json = false;                // list, show, stats: JSON instead of text
  std::string offset = "-1";        // read: where to start ("-1", "now" or an offset)
  std::optional<size_t> max_bytes;  // read: stop after about this many payload bytes
};

int RunList(const Invocation& invocation);
int RunShow(const Invocation& invocation);
int RunRead(const Invocation& invocation);
int RunDelete(const Invocation& invocation);
int RunCompact(const Invocation& invocation);
int RunVerify(const Invocation& invocation);
int RunStats(const Invocation& invocation);

}  // namespace ds_admin
