#include "storage_rocksdb/damage_report.h"

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/status.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
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

// CRC-32C (Castagnoli), as the log format uses it, and the format's masking of stored CRCs.
uint32_t Crc32c(const unsigned char* data, size_t size) {
  static const std::vector<uint32_t> table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

uint32_t MaskedCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

// The log format (MANIFEST and WAL): 32 KiB blocks of records, each a 7-byte header (masked
// CRC-32C of type and payload, little-endian 32 bits; payload length, 16 bits; type) and the
// payload; a record never crosses a block; a block's last < 7 bytes are padding.
constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;

struct LogRecord {
  bool valid = false;
  uint32_t stored_crc = 0;
  size_t length = 0;
  unsigned char type = 0;
};

LogRecord RecordAt(const std::string& bytes, size_t pos) {
  LogRecord record;
  if (pos + kHeaderSize > bytes.size()) return record;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[pos + i]); };
  record.stored_crc = byte(0) | byte(1) << 8 | byte(2) << 16 | static_cast<uint32_t>(byte(3)) << 24;
  record.length = byte(4) | byte(5) << 8;
  record.type = byte(6);
  size_t end = pos + kHeaderSize + record.length;
  if (end > bytes.size() || pos % kBlockSize + kHeaderSize + record.length > kBlockSize) {
    return record;
  }
  if (record.type < 1 || record.type > 4) return record;  // full, first, middle, last
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data()) + pos + 6;
  record.valid = MaskedCrc(Crc32c(data, 1 + record.length)) == record.stored_crc;
  return record;
}

// The offset of the first whole, checksummed record at or after `from`, or npos.
size_t NextValidRecord(const std::string& bytes, size_t from) {
  constexpr size_t kMaxScan = 1 << 20;  // a torn edit is far smaller
  for (size_t pos = from; pos + kHeaderSize <= bytes.size() && pos < from + kMaxScan; ++pos) {
    if (RecordAt(bytes, pos).valid) return pos;
  }
  return std::string::npos;
}

}  // namespace

std::string CheckManifestTail(const std::string& dir) {
  std::ifstream current_in(dir + "/CURRENT", std::ios::binary);
  if (!current_in) return "";
  std::string name;
  std::getline(current_in, name);
  if (!IsManifestName(name)) return "";  // DescribeDamage names that once the open fails
  const std::string manifest = dir + "/" + name;
  std::ifstream in(manifest, std::ios::binary);
  if (!in) return "";
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  while (pos + kHeaderSize <= bytes.size()) {
    size_t left_in_block = kBlockSize - pos % kBlockSize;
    if (left_in_block < kHeaderSize) {
      pos += left_in_block;
      continue;
    }
    LogRecord record = RecordAt(bytes, pos);
    if (record.valid) {
      pos += kHeaderSize + record.length;
      continue;
    }
    if (pos + kHeaderSize + record.length <= bytes.size()) return "";  // RocksDB reports it
    // Runs past the end: a torn write, unless the bytes up to the end are the whole record
    // (its checksum matches them) or whole records follow.
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data()) + pos + 6;
    if (MaskedCrc(Crc32c(data, bytes.size() - pos - 6)) == record.stored_crc) {
      return "MANIFEST " + manifest + " is corrupt: the last record, at offset " +
             std::to_string(pos) + ", is whole but its length says " +
             std::to_string(record.length) + " bytes: a damaged length, not a torn write " +
             "(RocksDB would drop the edit)";
    }
    size_t next = NextValidRecord(bytes, pos + 1);
    if (next == std::string::npos) return "";
    return "MANIFEST " + manifest + " is corrupt: the record at offset " + std::to_string(pos) +
           " claims " + std::to_string(record.length) +
           " bytes, past the end of the file, yet a whole record follows at offset " +
           std::to_string(next) + ": a damaged length, not a torn write (RocksDB would drop " +
           "every edit after it)";
  }
  return "";
}

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
