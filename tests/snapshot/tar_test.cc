// The snapshot archive (snapshot/tar_writer.h, snapshot/tar_reader.h): what TarWriter writes,
// TarReader and GNU tar read back byte for byte, in pieces of any size; total_bytes() is the
// archive's size; a file that shrinks under the writer fails it; and the reader refuses what
// no snapshot holds. (Unsafe entries through `ds-admin restore`: ds_admin_backup_test.cc.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../storage/temp_dir.h"
#include "snapshot/tar_reader.h"
#include "snapshot/tar_writer.h"

namespace streamkeeper {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Pattern(size_t size, char seed) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(seed + i * 7);
  return data;
}

class TarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = dir_.path() + "/source";
    fs::create_directories(source_);
    // Sizes around the block boundaries, an empty file, and one larger than a piece.
    files_ = {{"CURRENT", Pattern(16, 'a')},
              {"MANIFEST-000005", Pattern(511, 'b')},
              {"000007.sst", Pattern(512, 'c')},
              {"000008.sst", Pattern(513, 'd')},
              {"000009.log", ""},
              {"000010.sst", Pattern(300000, 'e')}};
    for (const auto& [name, data] : files_) {
      std::ofstream(source_ + "/" + name, std::ios::binary) << data;
    }
  }

  std::string Archive(size_t piece_bytes, uint64_t* total = nullptr) {
    std::unique_ptr<TarWriter> writer;
    Status s = TarWriter::Open(source_, &writer);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!writer) return {};
    if (total) *total = writer->total_bytes();
    std::string archive;
    for (bool done = false; !done;) {
      std::string piece;
      s = writer->Next(piece_bytes, &piece, &done);
      EXPECT_TRUE(s.ok()) << s.message();
      if (!s.ok()) return {};
      EXPECT_LE(piece.size(), std::max<size_t>(piece_bytes, 512));
      if (!done) {
        EXPECT_FALSE(piece.empty());
      }
      archive += piece;
    }
    return archive;
  }

  std::string WriteArchive(const std::string& bytes) {
    std::string path = dir_.path() + "/archive.tar";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return path;
  }

  testing::TempDir dir_;
  std::string source_;
  std::vector<std::pair<std::string, std::string>> files_;
};

TEST_F(TarTest, AnyPieceSizeGivesTheSameArchiveOfTheAnnouncedSize) {
  uint64_t total = 0;
  std::string whole = Archive(1 << 20, &total);
  EXPECT_EQ(whole.size(), total);
  EXPECT_EQ(whole.size() % 512, 0u);
  EXPECT_EQ(Archive(512), whole);
  EXPECT_EQ(Archive(700), whole);
  EXPECT_EQ(Archive(100), whole);  // below a block: a block at a time
}

TEST_F(TarTest, TarReaderUnpacksEveryFileByteForByte) {
  std::string path = WriteArchive(Archive(4096));
  std::string target = dir_.path() + "/unpacked";
  fs::create_directories(target);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::vector<TarEntry> entries;
  Status s = UnpackTar(fd, target, &entries);
  ::close(fd);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(entries.size(), files_.size());
  for (const auto& [name, data] : files_) EXPECT_EQ(ReadAll(target + "/" + name), data) << name;
}

TEST_F(TarTest, GnuTarReadsWhatTarWriterWrites) {
  std::string path = WriteArchive(Archive(65536));
  std::string target = dir_.path() + "/by-tar";
  fs::create_directories(target);
  std::string command = "tar -xf '" + path + "' -C '" + target + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (const auto& [name, data] : files_) EXPECT_EQ(ReadAll(target + "/" + name), data) << name;
}

TEST_F(TarTest, AFileThatShrinksUnderTheWriterFailsTheArchive) {
  std::unique_ptr<TarWriter> writer;
  ASSERT_TRUE(TarWriter::Open(source_, &writer).ok());
  fs::resize_file(source_ + "/000010.sst", 1000);
  Status s;
  for (bool done = false; !done && s.ok();) {
    std::string piece;
    s = writer->Next(65536, &piece, &done);
  }
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("000010.sst"), std::string::npos) << s.message();
}

TEST_F(TarTest, TheWriterRefusesADirectoryWithASubdirectoryOrALink) {
  fs::create_directories(source_ + "/sub");
  std::unique_ptr<TarWriter> writer;
  EXPECT_FALSE(TarWriter::Open(source_, &writer).ok());
  fs::remove(source_ + "/sub");
  fs::create_symlink("CURRENT", source_ + "/link");
  Status s = TarWriter::Open(source_, &writer);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("link"), std::string::npos) << s.message();
}

TEST_F(TarTest, TheReaderRefusesGarbageAfterALoneZeroBlockAndTakesPaddingAfterTheEnd) {
  std::string whole = Archive(65536);
  std::vector<TarEntry> entries;
  // tar pads archives to its record size: zeros after the end are not an error.
  std::string padded = whole + std::string(10240, '\0');
  int fd = ::open(WriteArchive(padded).c_str(), O_RDONLY);
  EXPECT_TRUE(ListTar(fd, &entries).ok());
  ::close(fd);
  EXPECT_EQ(entries.size(), files_.size());
  std::string broken =
      whole.substr(0, whole.size() - 1024) + std::string(512, '\0') + std::string(512, 'x');
  fd = ::open(WriteArchive(broken).c_str(), O_RDONLY);
  Status s = ListTar(fd, &entries);
  ::close(fd);
  EXPECT_FALSE(s.ok());
}

TEST(TarHeaderTest, SizesBeyondElevenOctalDigitsAreWrittenInBase256) {
  std::string small = TarFileHeader("f", 0777, 0);
  EXPECT_EQ(small.substr(124, 12), std::string("00000000777") + '\0');
  std::string huge = TarFileHeader("f", uint64_t{9} << 30, 0);  // 9 GiB
  EXPECT_EQ(static_cast<unsigned char>(huge[124]), 0x80);
  uint64_t size = 0;
  for (int i = 125; i < 136; ++i) size = (size << 8) | static_cast<unsigned char>(huge[i]);
  EXPECT_EQ(size, uint64_t{9} << 30);
}

TEST(TarHeaderTest, TheReaderTakesABase256Size) {
  std::string header = TarFileHeader("f", 5, 0);
  std::string field(12, '\0');
  field[0] = static_cast<char>(0x80);
  field[11] = 5;
  header.replace(124, 12, field);
  header.replace(148, 8, std::string(8, ' '));
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06o", sum);
  header.replace(148, 7, std::string(digits, 7));
  std::string archive = header + "hello" + std::string(507, '\0') + std::string(1024, '\0');
  testing::TempDir dir;
  std::string path = dir.path() + "/a.tar";
  std::ofstream(path, std::ios::binary) << archive;
  int fd = ::open(path.c_str(), O_RDONLY);
  std::vector<TarEntry> entries;
  Status s = ListTar(fd, &entries);
  ::close(fd);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].size, 5u);
}

}  // namespace
}  // namespace streamkeeper
