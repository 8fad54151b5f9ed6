#include "storage_rocksdb/generation_compaction_filter.h"

#include <string_view>

#include "storage_rocksdb/key_codec.h"

namespace streamkeeper {

bool GenerationCompactionFilter::Filter(int /*level*/, const rocksdb::Slice& key,
                                        const rocksdb::Slice& /*existing_value*/,
                                        std::string* /*new_value*/, bool* /*value_changed*/) const {
  std::string_view bytes(key.data(), key.size());
  if (kind_ == KeyKind::kData) {
    auto parts = rocksdb_keys::ParseDataKey(bytes);
    return parts && live_->IsDead(parts->path, parts->generation);
  }
  auto parts = rocksdb_keys::ParseProducerKey(bytes);
  return parts && live_->IsDead(parts->path, parts->generation);
}

const char* GenerationCompactionFilter::Name() const {
  return kind_ == KeyKind::kData ? "streamkeeper.DataGenerationFilter"
                                 : "streamkeeper.ProducerGenerationFilter";
}

}  // namespace streamkeeper
