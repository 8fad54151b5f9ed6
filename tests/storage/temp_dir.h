// TempDir: a fresh directory under the system temp dir, removed with everything in it on
// destruction. For tests that need a RocksDB data directory.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace streamkeeper::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "streamkeeper-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace streamkeeper::testing
