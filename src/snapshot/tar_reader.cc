#include "snapshot/tar_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

namespace streamkeeper {
namespace {

constexpr size_t kBlock = 512;
constexpr size_t kCopyBytes = 1 << 20;

// Reads exactly `size` bytes unless the input ends first; returns the count read, or -1.
ssize_t ReadFull(int fd, char* data, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(got);
}

bool WriteFull(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// An octal field (digits, then NUL or space padding) or a base-256 one (high bit of the first
// byte). False when it is neither.
bool ParseNumber(const char* field, size_t width, uint64_t* value) {
  *value = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(field);
  if (bytes[0] & 0x80) {
    if (bytes[0] != 0x80) return false;  // a negative or over-long number
    for (size_t i = 1; i < width; ++i) {
      if (*value >> 56) return false;
      *value = (*value << 8) | bytes[i];
    }
    return true;
  }
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool digits = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (*value >> 60) return false;
    *value = (*value << 3) | static_cast<uint64_t>(field[i] - '0');
    digits = true;
  }
  for (; i < width; ++i) {
    if (field[i] != '\0' && field[i] != ' ') return false;
  }
  return digits;
}

bool AllZero(const char* block) {
  return std::all_of(block, block + kBlock, [](char c) { return c == '\0'; });
}

class Reader {
 public:
  Reader(int fd, const std::string* dir) : fd_(fd), dir_(dir) {}

  Status Run(std::vector<TarEntry>* entries) {
    entries->clear();
    std::string buffer(kCopyBytes, '\0');
    char block[kBlock];
    for (;;) {
      Status s = ReadBlock(block, "a header");
      if (!s.ok()) return s;
      if (AllZero(block)) {
        s = ReadBlock(block, "the end of the archive");
        if (!s.ok()) return s;
        if (!AllZero(block))
          return Bad("a lone zero block at byte " + std::to_string(offset_ - kBlock));
        return Status::Ok();  // what follows the end (tar pads to its record size) is ignored
      }
      TarEntry entry;
      s = ParseHeader(block, &entry);
      if (!s.ok()) return s;
      s = CopyData(entry, &buffer);
      if (!s.ok()) return s;
      entries->push_back(std::move(entry));
    }
  }

 private:
  Status Bad(const std::string& why) const {
    return Status::BadRequest("not a valid snapshot archive: " + why);
  }

  Status ReadBlock(char* block, const char* what) {
    ssize_t got = ReadFull(fd_, block, kBlock);
    if (got < 0)
      return Status::IoError(std::string("reading the archive: ") + std::strerror(errno));
    if (static_cast<size_t>(got) < kBlock) {
      return Bad(std::string("truncated: the file ends at byte ") +
                 std::to_string(offset_ + static_cast<uint64_t>(got)) + " where " + what +
                 " was expected");
    }
    offset_ += kBlock;
    return Status::Ok();
  }

  Status ParseHeader(const char* h, TarEntry* entry) {
    const std::string at = "the header at byte " + std::to_string(offset_ - kBlock);
    uint64_t stored_sum = 0;
    if (!ParseNumber(h + 148, 8, &stored_sum)) return Bad(at + " has no valid checksum");
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    if (sum != stored_sum) return Bad(at + " is damaged (checksum mismatch)");
    if (std::memcmp(h + 257, "ustar", 5) != 0) return Bad(at + " is not a ustar header");
    std::string_view name(h, strnlen(h, 100));
    const std::string_view prefix(h + 345, strnlen(h + 345, 155));
    std::string quoted = "'";
    if (!prefix.empty()) quoted.append(prefix).append("/");
    quoted.append(name).append("'");
    const char type = h[156];
    if (type != '0' && type != '\0') {
      const char* kind = type == '1'                    ? "a hard link"
                         : type == '2'                  ? "a symbolic link"
                         : type == '5'                  ? "a directory"
                         : (type == '3' || type == '4') ? "a device"
                         : type == '6'                  ? "a FIFO"
                                                        : "not a regular file";
      return Bad("entry " + quoted + " is " + kind + "; a snapshot holds only regular files");
    }
    if (!prefix.empty() || name.find('/') != std::string_view::npos) {
      return Bad("entry " + quoted +
                 " has a path (absolute, with '..' or a directory); a "
                 "snapshot's names are plain file names");
    }
    if (name.empty() || name == "." || name == "..")
      return Bad("entry " + quoted + " has no usable name");
    if (!ParseNumber(h + 124, 12, &entry->size))
      return Bad("entry " + quoted + " has no valid size");
    entry->name = std::string(name);
    if (!names_.insert(entry->name).second) return Bad("entry " + quoted + " appears twice");
    return Status::Ok();
  }

  Status CopyData(const TarEntry& entry, std::string* buffer) {
    // Rounding a size near 2^64 up to whole blocks would wrap to nothing.
    if (entry.size > (uint64_t{1} << 62)) {
      return Status::IoError("entry " + entry.name + " claims a size of " +
                             std::to_string(entry.size) + " bytes: not a snapshot");
    }
    int out = -1;
    const std::string path = dir_ ? *dir_ + "/" + entry.name : std::string();
    if (dir_) {
      out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (out < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
    }
    const uint64_t padded = (entry.size + kBlock - 1) / kBlock * kBlock;
    uint64_t left = padded;
    Status s;
    while (left > 0 && s.ok()) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(left, buffer->size()));
      ssize_t got = ReadFull(fd_, buffer->data(), want);
      if (got < 0) {
        s = Status::IoError(std::string("reading the archive: ") + std::strerror(errno));
        break;
      }
      if (static_cast<size_t>(got) < want) {
        s = Bad("truncated: entry '" + entry.name + "' ends early (the file ends at byte " +
                std::to_string(offset_ + static_cast<uint64_t>(got)) + ")");
        break;
      }
      // The data part of this read: what is before the padding.
      const uint64_t done = padded - left;
      const uint64_t data_left = entry.size > done ? entry.size - done : 0;
      size_t data = static_cast<size_t>(std::min<uint64_t>(data_left, want));
      if (out >= 0 && data > 0 && !WriteFull(out, buffer->data(), data)) {
        s = Status::IoError("writing " + path + ": " + std::strerror(errno));
      }
      offset_ += static_cast<uint64_t>(got);
      left -= static_cast<uint64_t>(got);
    }
    if (out >= 0) {
      if (s.ok() && ::fsync(out) != 0) {
        s = Status::IoError("syncing " + path + ": " + std::strerror(errno));
      }
      ::close(out);
    }
    return s;
  }

  int fd_;
  const std::string* dir_;  // null: list only
  uint64_t offset_ = 0;
  std::set<std::string> names_;
};

}  // namespace

Status UnpackTar(int fd, const std::string& dir, std::vector<TarEntry>* entries) {
  Status s = Reader(fd, &dir).Run(entries);
  if (!s.ok()) return s;
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Status::IoError("cannot open " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  if (rc != 0) return Status::IoError("syncing " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

Status ListTar(int fd, std::vector<TarEntry>* entries) { return Reader(fd, nullptr).Run(entries); }

}  // namespace streamkeeper
