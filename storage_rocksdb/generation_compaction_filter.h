// GenerationCompactionFilter: drops data and producer entries of generations no longer live.
//
// write() already deletes an erased generation with DeleteRange; this filter is the backstop
// that reclaims whatever a range delete did not cover (a generation replaced by a put without an
// erase, leftovers of a crash between manager steps). It is safe to be lazy: reads name the
// generation they want and never see another one, so dead entries cost only disk space until
// compaction reaches them. Entries whose key does not parse are kept.
#pragma once

#include <rocksdb/compaction_filter.h>

#include "storage_rocksdb/live_generations.h"

namespace streamkeeper {

class GenerationCompactionFilter final : public rocksdb::CompactionFilter {
 public:
  enum class KeyKind { kData, kProducer };

  // `live` must outlive the filter; the filter must outlive the DB using it.
  GenerationCompactionFilter(const LiveGenerations* live, KeyKind kind)
      : live_(live), kind_(kind) {}

  bool Filter(int level, const rocksdb::Slice& key, const rocksdb::Slice& existing_value,
              std::string* new_value, bool* value_changed) const override;
  const char* Name() const override;

 private:
  const LiveGenerations* live_;
  KeyKind kind_;
};

}  // namespace streamkeeper
