#include "snapshot/tar_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace streamkeeper {
namespace {

constexpr size_t kBlock = 512;

uint64_t Padded(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

// Writes `value` as `width - 1` octal digits and a NUL, or, when it does not fit, in
// base-256 (the first byte's high bit set, the value big-endian in the rest).
void PutNumber(char* field, size_t width, uint64_t value) {
  const uint64_t octal_limit = width - 1 >= 22 ? UINT64_MAX : (uint64_t{1} << (3 * (width - 1)));
  if (value < octal_limit) {
    for (size_t i = width - 1; i-- > 0;) {
      field[i] = static_cast<char>('0' + (value & 7));
      value >>= 3;
    }
    field[width - 1] = '\0';
    return;
  }
  std::memset(field, 0, width);
  for (size_t i = width; i-- > 1 && value != 0;) {
    field[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  field[0] = static_cast<char>(0x80);
}

}  // namespace

std::string TarFileHeader(const std::string& name, uint64_t size, int64_t mtime) {
  std::string header(kBlock, '\0');
  char* h = header.data();
  std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
  PutNumber(h + 100, 8, 0644);                                                 // mode
  PutNumber(h + 108, 8, 0);                                                    // uid
  PutNumber(h + 116, 8, 0);                                                    // gid
  PutNumber(h + 124, 12, size);                                                // size
  PutNumber(h + 136, 12, static_cast<uint64_t>(std::max<int64_t>(mtime, 0)));  // mtime
  h[156] = '0';                      // typeflag: regular file
  std::memcpy(h + 257, "ustar", 6);  // magic, NUL-terminated
  std::memcpy(h + 263, "00", 2);     // version
  // The checksum is computed with its own field as eight spaces.
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  PutNumber(h + 148, 7, sum);  // six digits and a NUL; the eighth byte stays a space
  return header;
}

Status TarWriter::Open(const std::string& dir, std::unique_ptr<TarWriter>* out) {
  namespace fs = std::filesystem;
  out->reset();
  std::vector<File> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) {
      return Status::IoError("cannot stat " + it->path().string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
      return Status::IoError(it->path().string() +
                             " is not a regular file; a snapshot holds "
                             "only regular files");
    }
    if (name.size() > 100) return Status::IoError("file name too long for tar: " + name);
    files.push_back({name, static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec});
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.name < b.name; });
  out->reset(new TarWriter(dir, std::move(files)));
  return Status::Ok();
}

TarWriter::TarWriter(std::string dir, std::vector<File> files)
    : dir_(std::move(dir)), files_(std::move(files)) {
  for (const File& file : files_) total_bytes_ += kBlock + Padded(file.size);
  total_bytes_ += 2 * kBlock;
}

TarWriter::~TarWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status TarWriter::OpenCurrent() {
  const std::string path = dir_ + "/" + files_[index_].name;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status TarWriter::Next(size_t max_bytes, std::string* piece, bool* done) {
  max_bytes = std::max(max_bytes, kBlock);
  const size_t start = piece->size();
  auto room = [&] { return max_bytes - (piece->size() - start); };
  *done = false;
  while (index_ < files_.size()) {
    File& file = files_[index_];
    if (!header_sent_) {
      if (room() < kBlock) return Status::Ok();
      piece->append(TarFileHeader(file.name, file.size, file.mtime));
      header_sent_ = true;
      sent_ = 0;
      if (file.size > 0) {
        Status s = OpenCurrent();
        if (!s.ok()) return s;
      }
    }
    while (sent_ < file.size) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(room(), file.size - sent_));
      if (want == 0) return Status::Ok();
      size_t at = piece->size();
      piece->resize(at + want);
      ssize_t got = ::pread(fd_, piece->data() + at, want, static_cast<off_t>(sent_));
      if (got < 0 && errno == EINTR) {
        piece->resize(at);
        continue;
      }
      if (got <= 0) {
        std::string why = got < 0 ? std::strerror(errno) : "the file is shorter than listed";
        return Status::IoError("reading " + dir_ + "/" + file.name + ": " + why);
      }
      piece->resize(at + static_cast<size_t>(got));
      sent_ += static_cast<uint64_t>(got);
    }
    const size_t padding = static_cast<size_t>(Padded(file.size) - file.size);
    if (room() < padding) return Status::Ok();
    piece->append(padding, '\0');
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    header_sent_ = false;
    ++index_;
  }
  while (trailer_blocks_ < 2) {  // the end of the archive: two zero blocks
    if (room() < kBlock) return Status::Ok();
    piece->append(kBlock, '\0');
    ++trailer_blocks_;
  }
  *done = true;
  return Status::Ok();
}

}  // namespace streamkeeper
