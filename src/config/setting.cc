#include "config/setting.h"

#include <charconv>
#include <cstdio>

namespace streamkeeper {

std::string EnvironmentName(std::string_view setting_name) {
  std::string name = "STREAMKEEPER_";
  for (char c : setting_name) {
    if (c == '-') {
      name += '_';
    } else if (c >= 'a' && c <= 'z') {
      name += static_cast<char>(c - 'a' + 'A');
    } else {
      name += c;
    }
  }
  return name;
}

std::string_view SettingTypeName(SettingType type) {
  switch (type) {
    case SettingType::kString: return "string";
    case SettingType::kInteger: return "integer";
    case SettingType::kBoolean: return "boolean";
  }
  return "string";
}

namespace {

std::string Quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.append(1, '"').append(text).append(1, '"');
  return out;
}

std::string ChoiceList(const std::vector<std::string_view>& choices) {
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += choices[i];
  }
  return list;
}

}  // namespace

std::optional<SettingValue> ParseSettingText(const Setting& setting, std::string_view text,
                                             std::string* error) {
  SettingValue value;
  switch (setting.type) {
    case SettingType::kString:
      value = std::string(text);
      break;
    case SettingType::kInteger: {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (text.empty() || end != text.data() + text.size()) {
        *error = "expected an integer, got " + Quoted(text);
        return std::nullopt;
      }
      if (ec == std::errc::result_out_of_range) {
        *error = "out of range: " + std::string(text);
        return std::nullopt;
      }
      value = number;
      break;
    }
    case SettingType::kBoolean:
      if (text == "true") {
        value = true;
      } else if (text == "false") {
        value = false;
      } else {
        *error = "expected true or false, got " + Quoted(text);
        return std::nullopt;
      }
      break;
  }
  if (!CheckSettingValue(setting, value, error)) return std::nullopt;
  return value;
}

bool CheckSettingValue(const Setting& setting, const SettingValue& value, std::string* error) {
  switch (setting.type) {
    case SettingType::kString: {
      const auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) {
        *error = "expected a string";
        return false;
      }
      if (setting.choices.empty()) return true;
      for (std::string_view choice : setting.choices) {
        if (*text == choice) return true;
      }
      *error = "must be " + ChoiceList(setting.choices) + ", got " + Quoted(*text);
      return false;
    }
    case SettingType::kInteger: {
      const auto* number = std::get_if<int64_t>(&value);
      if (number == nullptr) {
        *error = "expected an integer";
        return false;
      }
      if (*number >= setting.min && *number <= setting.max) return true;
      if (setting.max == std::numeric_limits<int64_t>::max()) {
        *error = "must be at least " + std::to_string(setting.min) + ", got " +
                 std::to_string(*number);
      } else {
        *error = "must be between " + std::to_string(setting.min) + " and " +
                 std::to_string(setting.max) + ", got " + std::to_string(*number);
      }
      return false;
    }
    case SettingType::kBoolean:
      if (std::holds_alternative<bool>(value)) return true;
      *error = "expected a boolean (true or false)";
      return false;
  }
  return false;
}

std::string FormatTomlValue(const SettingValue& value) {
  if (const auto* number = std::get_if<int64_t>(&value)) return std::to_string(*number);
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  // A TOML basic string: backslash, quote and every control character escaped.
  std::string out = "\"";
  for (unsigned char c : std::get<std::string>(value)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04X", c);
          out += escape;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatPlainValue(const SettingValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  return FormatTomlValue(value);
}

}  // namespace streamkeeper
