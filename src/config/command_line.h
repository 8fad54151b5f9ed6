// The streamkeeper command line: the settings of config/server_settings.h as flags, plus
//   --config FILE    read settings from a TOML file (also STREAMKEEPER_CONFIG)
//   --print-config   print the effective settings as TOML (a file --config accepts) and exit
//   -h, --help       print every flag, with its default, and exit
// resolved against the environment and the file (config/resolve_settings.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/resolve_settings.h"
#include "config/server_settings.h"
#include "util/log.h"

namespace streamkeeper {

struct CommandLine {
  enum class Action {
    kRun,          // start the server with `config`
    kPrintHelp,    // print `output`, exit 0
    kPrintConfig,  // print `output`, exit 0
    kFail,         // print "streamkeeper: " + `error` to stderr, exit 2
  };
  Action action = Action::kFail;
  ServerConfig config;
  ResolvedSettings settings;
  std::string config_file;  // the file read, or empty
  std::string output;
  std::string error;
};

// `environment`: NAME, VALUE pairs (see EnvironmentPairs).
CommandLine ParseCommandLine(int argc, const char* const* argv,
                             const std::vector<std::pair<std::string, std::string>>& environment);

// The process's environment (environ) as NAME, VALUE pairs.
std::vector<std::pair<std::string, std::string>> EnvironmentPairs();

// The settings as a TOML document that --config reads back to the same values: each key with
// its help as a comment above it and its source as a comment after it. Secret settings that
// are set (not empty) are left out, named in a comment.
std::string RenderToml(const ResolvedSettings& settings);

// The settings as fields of the start-up log line, in table order; secret values that are
// set read "<redacted>". The fields point into `settings`.
std::vector<log::Field> SettingsAsLogFields(const ResolvedSettings& settings);

}  // namespace streamkeeper
