// ResolveSettings: each setting's value from the four places it can come from, the first that
// has it winning:
//
//   1. the command line       --data-dir /srv/sk          (source "--data-dir")
//   2. the environment        STREAMKEEPER_DATA_DIR=/srv  (source "STREAMKEEPER_DATA_DIR")
//   3. the --config file      data-dir = "/srv/sk"        (source "/etc/streamkeeper/x.toml:4")
//   4. the setting's default                              (source "default")
//
// Flag and environment text is parsed by ParseSettingText; file values must already have the
// setting's TOML type (port = 4437, not port = "4437"). Every value is checked, including ones
// that lose to a higher place, so a bad line in a file is found before it matters.
//
// Errors (the first one found, naming the key and its source; file positions as path:line):
//   - a file that cannot be read or is not TOML:  "<path>:3:7: <parser's message>"
//   - a file key that is not a setting:           "unknown key \"prot\" (<path>:2)"
//   - a bad value anywhere:                       "bad value for port (--port): ..."
// An environment variable with the STREAMKEEPER_ prefix that names no setting is not an error
// but a warning: the prefix is shared with the client tools and scripts (STREAMKEEPER_URL,
// STREAMKEEPER_SERVER_ARGS, ...), which a server must not refuse to start over.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/setting.h"

namespace streamkeeper {

struct ResolvedSetting {
  const Setting* setting = nullptr;
  SettingValue value;
  std::string source;  // "--port", "STREAMKEEPER_PORT", "<path>:<line>" or "default"
};

struct SettingInputs {
  // Settings given on the command line: name (without --) and text, in any order.
  std::vector<std::pair<std::string, std::string>> flags;
  // The process environment as NAME, VALUE pairs; only STREAMKEEPER_* names are looked at.
  std::vector<std::pair<std::string, std::string>> environment;
  // The --config file; empty: none.
  std::string config_file;
  // Environment names with the prefix that are not settings but are understood elsewhere
  // (STREAMKEEPER_CONFIG): neither read here nor warned about.
  std::vector<std::string> reserved_environment;
};

struct ResolvedSettings {
  std::vector<ResolvedSetting> settings;  // one per setting, in the table's order
  std::vector<std::string> warnings;
};

// True with *out filled, or false with *error (see above).
bool ResolveSettings(std::span<const Setting> table, const SettingInputs& inputs,
                     ResolvedSettings* out, std::string* error);

// The value of `name` in `resolved`; nullptr if there is no such setting.
const ResolvedSetting* FindResolved(const ResolvedSettings& resolved, std::string_view name);

}  // namespace streamkeeper
