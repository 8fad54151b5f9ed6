#include "storage_rocksdb/data_key_prefix.h"

namespace streamkeeper {
namespace {

// Data keys end in "_<16-digit position>" (key_codec.h); everything before the position is the
// (path, generation) prefix.
constexpr size_t kPositionDigits = 16;

class DataKeyPrefixTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "streamkeeper.DataKeyPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - kPositionDigits);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return key.size() > kPositionDigits + 1 && key[key.size() - kPositionDigits - 1] == '_';
  }
};

}  // namespace

const rocksdb::SliceTransform* DataKeyPrefix() {
  static const DataKeyPrefixTransform transform;
  return &transform;
}

}  // namespace streamkeeper
