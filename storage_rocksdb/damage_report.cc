#include "storage_rocksdb/damage_report.h"

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/status.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>
#include <vector>

namespace streamkeeper {
namespace {

namespace fs = std::filesystem;

bool IsManifestName(const std::string& name) {
  static const std::regex pattern("MANIFEST-[0-9]+");
  return std::regex_match(name, pattern);
}

// The directory's file names, sorted; empty if it cannot be listed.
std::vector<std::string> FileNames(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Printable(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (std::isprint(c) && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

std::string ManifestsIn(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) {
    if (!IsManifestName(name)) continue;
    list += list.empty() ? name : ", " + name;
  }
  return list.empty() ? "no MANIFEST file" : list;
}

// CURRENT must be "MANIFEST-<digits>\n" naming a file that exists.
std::string CheckCurrent(const std::string& dir) {
  const std::string current = dir + "/CURRENT";
  std::ifstream in(current, std::ios::binary);
  if (!in) return "";  // missing: CheckCurrentPresent's business, or not a database at all
  std::stringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  std::vector<std::string> names = FileNames(dir);
  std::string name = text.size() > 1 && text.back() == '\n' ? text.substr(0, text.size() - 1) : "";
  if (!IsManifestName(name)) {
    return current + " is corrupt: it holds \"" + Printable(text) +
           "\", not the name of a MANIFEST file (the directory has " + ManifestsIn(names) + ")";
  }
  if (!std::binary_search(names.begin(), names.end(), name)) {
    return current + " names " + name + ", which does not exist: CURRENT is corrupt or the " +
           "MANIFEST was removed (the directory has " + ManifestsIn(names) + ")";
  }
  return "";
}

// RocksDB looks for a table under its ".sst" name, then under the legacy ".ldb" one, and reports
// the last attempt: "...: /d/000022.ldb: No such file or directory".
std::string CheckMissingTable(const std::string& dir, const std::string& text) {
  static const std::regex missing("([0-9]+)\\.(ldb|sst): No such file");
  std::smatch match;
  if (!std::regex_search(text, match, missing)) return "";
  std::string table = dir + "/" + match[1].str() + ".sst";
  std::error_code ec;
  if (fs::exists(table, ec)) return "";
  return "SST file " + table + " is missing (the MANIFEST lists it)";
}

// Opening a table reads its footer, index and properties: damage there fails the open.
std::string FindUnreadableTable(const std::string& dir) {
  for (const std::string& name : FileNames(dir)) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".sst") != 0) continue;
    rocksdb::Options options;
    rocksdb::SstFileReader reader(options);
    rocksdb::Status status = reader.Open(dir + "/" + name);
    if (!status.ok()) return "SST file " + dir + "/" + name + " is corrupt: " + status.ToString();
  }
  return "";
}

}  // namespace

std::string DescribeDamage(const std::string& dir, const rocksdb::Status& open_status) {
  std::string damage = CheckCurrent(dir);
  if (!damage.empty()) return damage;
  const std::string text = open_status.ToString();
  damage = CheckMissingTable(dir, text);
  if (!damage.empty()) return damage;
  if (!open_status.IsCorruption()) return "";
  static const std::regex named_table("(\\S+\\.sst)");
  std::smatch match;
  if (std::regex_search(text, match, named_table)) {
    return "SST file " + match[1].str() + " is corrupt";
  }
  damage = FindUnreadableTable(dir);
  if (!damage.empty()) return damage;
  static const std::regex named_manifest("(\\S*MANIFEST-[0-9]+)");
  if (std::regex_search(text, match, named_manifest)) {
    return "MANIFEST " + match[1].str() + " is corrupt";
  }
  return "";
}

std::string CheckCurrentPresent(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir + "/CURRENT", ec)) return "";
  for (const std::string& name : FileNames(dir)) {
    bool table = name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0;
    bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (table || wal || IsManifestName(name)) {
      return dir + "/CURRENT is missing, yet the directory holds a database (" + name +
             "); it will not be opened as a new, empty one";
    }
  }
  return "";
}

}  // namespace streamkeeper
