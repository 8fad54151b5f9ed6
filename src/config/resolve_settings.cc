#include "config/resolve_settings.h"

#include <algorithm>
#include <map>
#include <optional>

#include <toml++/toml.h>

namespace streamkeeper {
namespace {

struct Candidate {
  SettingValue value;
  std::string source;
};

// By setting name. The places are read highest first and emplace keeps the first value, so
// what stays is the winner.
using Candidates = std::map<std::string_view, Candidate>;

std::string BadValue(std::string_view name, const std::string& source, const std::string& why) {
  return "bad value for " + std::string(name) + " (" + source + "): " + why;
}

const Setting* Find(std::span<const Setting> table, std::string_view name) {
  for (const Setting& setting : table) {
    if (setting.name == name) return &setting;
  }
  return nullptr;
}

std::string Position(const std::string& path, const toml::source_region& where) {
  return path + ":" + std::to_string(where.begin.line);
}

// The file's value for `setting`, if it has the setting's type.
std::optional<SettingValue> FromToml(const Setting& setting, const toml::node& node) {
  switch (setting.type) {
    case SettingType::kString:
      if (auto text = node.value_exact<std::string>()) return SettingValue(*text);
      break;
    case SettingType::kInteger:
      if (auto number = node.value_exact<int64_t>()) return SettingValue(*number);
      break;
    case SettingType::kBoolean:
      if (auto flag = node.value_exact<bool>()) return SettingValue(*flag);
      break;
  }
  return std::nullopt;
}

std::string_view TomlTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date or time";
  }
}

bool ReadFile(std::span<const Setting> table, const std::string& path, Candidates* candidates,
              std::string* error) {
  toml::table file;
  try {
    file = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    *error = path + (where.line > 0 ? ":" + std::to_string(where.line) + ":" +
                                          std::to_string(where.column)
                                    : std::string()) +
             ": " + std::string(e.description());
    return false;
  }
  for (const auto& [key, node] : file) {
    std::string position = Position(path, node.source());
    const Setting* setting = Find(table, key.str());
    if (setting == nullptr) {
      *error = "unknown key \"" + std::string(key.str()) + "\" (" + position + ")";
      return false;
    }
    std::optional<SettingValue> value = FromToml(*setting, node);
    std::string why;
    if (!value) {
      why = "expected " + std::string(setting->type == SettingType::kInteger ? "an " : "a ") +
            std::string(SettingTypeName(setting->type)) + ", got " +
            std::string(TomlTypeName(node));
    } else if (!CheckSettingValue(*setting, *value, &why)) {
      value.reset();
    }
    if (!value) {
      *error = BadValue(setting->name, position, why);
      return false;
    }
    candidates->emplace(setting->name, Candidate{std::move(*value), std::move(position)});
  }
  return true;
}

bool ReadEnvironment(std::span<const Setting> table, const SettingInputs& inputs,
                     Candidates* candidates, ResolvedSettings* out, std::string* error) {
  constexpr std::string_view kPrefix = "STREAMKEEPER_";
  for (const auto& [name, text] : inputs.environment) {
    if (!name.starts_with(kPrefix)) continue;
    if (std::find(inputs.reserved_environment.begin(), inputs.reserved_environment.end(), name) !=
        inputs.reserved_environment.end()) {
      continue;
    }
    const Setting* setting = nullptr;
    for (const Setting& candidate : table) {
      if (EnvironmentName(candidate.name) == name) setting = &candidate;
    }
    if (setting == nullptr) {
      out->warnings.push_back("environment variable " + name +
                              " is not a streamkeeper setting; ignored");
      continue;
    }
    std::string why;
    std::optional<SettingValue> value = ParseSettingText(*setting, text, &why);
    if (!value) {
      *error = BadValue(setting->name, name, why);
      return false;
    }
    candidates->emplace(setting->name, Candidate{std::move(*value), name});
  }
  return true;
}

bool ReadFlags(std::span<const Setting> table, const SettingInputs& inputs,
               Candidates* candidates, std::string* error) {
  for (const auto& [name, text] : inputs.flags) {
    const Setting* setting = Find(table, name);
    std::string source = "--" + name;
    if (setting == nullptr) {
      *error = "unknown flag " + source;
      return false;
    }
    std::string why;
    std::optional<SettingValue> value = ParseSettingText(*setting, text, &why);
    if (!value) {
      *error = BadValue(setting->name, source, why);
      return false;
    }
    candidates->emplace(setting->name, Candidate{std::move(*value), std::move(source)});
  }
  return true;
}

}  // namespace

bool ResolveSettings(std::span<const Setting> table, const SettingInputs& inputs,
                     ResolvedSettings* out, std::string* error) {
  *out = ResolvedSettings{};
  Candidates candidates;
  if (!ReadFlags(table, inputs, &candidates, error)) return false;
  if (!ReadEnvironment(table, inputs, &candidates, out, error)) return false;
  if (!inputs.config_file.empty() && !ReadFile(table, inputs.config_file, &candidates, error)) {
    return false;
  }
  for (const Setting& setting : table) {
    ResolvedSetting resolved{&setting, setting.default_value, "default"};
    auto found = candidates.find(setting.name);
    if (found != candidates.end()) {
      resolved.value = found->second.value;
      resolved.source = found->second.source;
    }
    out->settings.push_back(std::move(resolved));
  }
  return true;
}

const ResolvedSetting* FindResolved(const ResolvedSettings& resolved, std::string_view name) {
  for (const ResolvedSetting& setting : resolved.settings) {
    if (setting.setting->name == name) return &setting;
  }
  return nullptr;
}

}  // namespace streamkeeper
