#include "config/command_line.h"

#include <cxxopts.hpp>

#include <unistd.h>

namespace streamkeeper {
namespace {

// Secret values are hidden only when set: an empty one says, usefully, that it is not.
bool Hidden(const ResolvedSetting& resolved) {
  const auto* text = std::get_if<std::string>(&resolved.value);
  return resolved.setting->secret && !(text != nullptr && text->empty());
}

constexpr const char* kConfigEnvironment = "STREAMKEEPER_CONFIG";

constexpr const char* kHelpFooter = R"(
Every setting can also be given by an environment variable, STREAMKEEPER_ and the flag's name in
upper snake case (STREAMKEEPER_DATA_DIR=/var/lib/streamkeeper), or by a key of the --config file,
the flag's name (data-dir = "/var/lib/streamkeeper"; integers and strings as TOML types). A flag
wins over the environment, which wins over the file, which wins over the default.
)";

std::string HelpWithDefault(const Setting& setting) {
  std::string help(setting.help);
  help += " (default: ";
  help += setting.type == SettingType::kString && FormatPlainValue(setting.default_value).empty()
              ? "\"\""
              : FormatPlainValue(setting.default_value);
  help += ")";
  return help;
}

cxxopts::Options MakeOptions() {
  cxxopts::Options options("streamkeeper", "Durable Streams server (HTTP/1.1, RocksDB or memory)");
  auto adder = options.add_options();
  for (const Setting& setting : ServerSettings()) {
    auto value = cxxopts::value<std::string>();
    if (setting.type == SettingType::kBoolean) value->implicit_value("true");
    adder(std::string(setting.name), HelpWithDefault(setting), value);
  }
  adder("config", "read settings from this TOML file (also STREAMKEEPER_CONFIG)",
        cxxopts::value<std::string>());
  adder("print-config", "print the effective settings as TOML, and exit");
  adder("h,help", "print this help");
  return options;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> EnvironmentPairs() {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    pairs.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  return pairs;
}

CommandLine ParseCommandLine(int argc, const char* const* argv,
                             const std::vector<std::pair<std::string, std::string>>& environment) {
  CommandLine out;
  cxxopts::Options options = MakeOptions();
  cxxopts::ParseResult result;
  try {
    result = options.parse(argc, argv);
  } catch (const std::exception& e) {
    out.error = std::string(e.what()) + " (streamkeeper --help lists the flags)";
    return out;
  }
  if (!result.unmatched().empty()) {
    out.error = "unexpected argument \"" + result.unmatched().front() +
                "\" (settings are flags: --name value)";
    return out;
  }
  if (result.count("help")) {
    out.action = CommandLine::Action::kPrintHelp;
    out.output = options.help() + kHelpFooter;
    return out;
  }
  SettingInputs inputs;
  for (const Setting& setting : ServerSettings()) {
    std::string name(setting.name);
    if (result.count(name)) inputs.flags.emplace_back(name, result[name].as<std::string>());
  }
  inputs.environment = environment;
  inputs.reserved_environment = {kConfigEnvironment};
  if (result.count("config")) {
    inputs.config_file = result["config"].as<std::string>();
  } else {
    for (const auto& [name, value] : environment) {
      if (name == kConfigEnvironment) inputs.config_file = value;
    }
  }
  out.config_file = inputs.config_file;
  if (!ResolveSettings(ServerSettings(), inputs, &out.settings, &out.error)) return out;
  for (const ResolvedSetting& resolved : out.settings.settings) {
    resolved.setting->store(resolved.value, &out.config);
  }
  if (!CheckServerConfig(out.config, &out.error)) return out;
  if (result.count("print-config")) {
    out.action = CommandLine::Action::kPrintConfig;
    out.output = RenderToml(out.settings);
    return out;
  }
  out.action = CommandLine::Action::kRun;
  return out;
}

std::string RenderToml(const ResolvedSettings& settings) {
  std::string out =
      "# streamkeeper settings in effect (flag > environment > file > default).\n"
      "# Each key's comment after it says where its value came from.\n";
  for (const ResolvedSetting& resolved : settings.settings) {
    const Setting& setting = *resolved.setting;
    out += "\n# " + std::string(setting.help) + "\n";
    if (Hidden(resolved)) {
      out += "# " + std::string(setting.name) + ": secret, set by " + resolved.source +
             "; not printed\n";
      continue;
    }
    out += std::string(setting.name) + " = " + FormatTomlValue(resolved.value) + "  # " +
           resolved.source + "\n";
  }
  return out;
}

std::vector<log::Field> SettingsAsLogFields(const ResolvedSettings& settings) {
  std::vector<log::Field> fields;
  for (const ResolvedSetting& resolved : settings.settings) {
    std::string_view name = resolved.setting->name;
    if (Hidden(resolved)) {
      fields.emplace_back(name, "<redacted>");
    } else if (const auto* text = std::get_if<std::string>(&resolved.value)) {
      fields.emplace_back(name, std::string_view(*text));
    } else if (const auto* number = std::get_if<int64_t>(&resolved.value)) {
      fields.emplace_back(name, *number);
    } else {
      fields.emplace_back(name, std::get<bool>(resolved.value));
    }
  }
  return fields;
}

}  // namespace streamkeeper
