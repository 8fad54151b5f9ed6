// Setting: one server setting described once. Its command-line flag, its environment variable,
// its key in a --config file, its line in --print-config and its field in the start-up log line
// all come from this description (the server's table is in config/server_settings.cc), so a
// setting added there cannot be missing from any of them.
//
// Values have three types, the TOML types a --config file writes them in: strings, integers
// (64-bit signed, bounded by [min, max]) and booleans. Text from a flag or an environment
// variable is parsed into the same types by ParseSettingText (decimal integers, true/false).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace streamkeeper {

struct ServerConfig;

enum class SettingType { kString, kInteger, kBoolean };

using SettingValue = std::variant<std::string, int64_t, bool>;

struct Setting {
  // The flag (--name), the TOML key, and (upper snake case, STREAMKEEPER_ prefix) the
  // environment variable.
  std::string_view name = {};
  SettingType type = SettingType::kString;
  SettingValue default_value = {};
  std::string_view help = {};
  // Integers: the accepted range.
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  // Strings: the accepted values; empty accepts any.
  std::vector<std::string_view> choices = {};
  // Shown as "<redacted>" in the start-up log and left out of --print-config (which then names
  // it in a comment): for keys and tokens.
  bool secret = false;
  // Puts a checked value into the server's configuration.
  void (*store)(const SettingValue& value, ServerConfig* config) = nullptr;
};

// "STREAMKEEPER_" + the name in upper snake case: data-dir -> STREAMKEEPER_DATA_DIR.
std::string EnvironmentName(std::string_view setting_name);

// The value a flag's or an environment variable's text stands for, checked (CheckSettingValue);
// nullopt with *error saying what is wrong with it (without naming where it came from).
std::optional<SettingValue> ParseSettingText(const Setting& setting, std::string_view text,
                                             std::string* error);

// Whether `value` has the setting's type and lies in its range or choices; *error says why not.
bool CheckSettingValue(const Setting& setting, const SettingValue& value, std::string* error);

// "string", "integer" or "boolean".
std::string_view SettingTypeName(SettingType type);

// The value as a TOML value: a quoted basic string (escaped), a decimal integer, true or false.
std::string FormatTomlValue(const SettingValue& value);

// The value as plain text (strings unquoted), as a flag would give it.
std::string FormatPlainValue(const SettingValue& value);

}  // namespace streamkeeper
