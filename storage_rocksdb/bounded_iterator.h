// BoundedIterator: a RocksDB iterator over the keys in [lower, upper) of one column family.
//
// Every scan RocksDbStorage makes is one of these (a stream's producers and last record, a page
// of streams or of expiry entries, the purge markers, a reset's or a purge's keys, the format
// migration's walk): the bounds keep RocksDB from reading, or skipping tombstones, past the keys
// asked for. The object owns the bound strings RocksDB points to, so it is neither copied nor
// moved. Private to storage_rocksdb.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <utility>

namespace streamkeeper {

class BoundedIterator {
 public:
  // An empty `upper` means no upper bound (no key sorts below ""). `options` supplies the
  // other read options (fill_cache and the like).
  BoundedIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, std::string lower,
                  std::string upper, rocksdb::ReadOptions options = rocksdb::ReadOptions())
      : lower_(std::move(lower)),
        upper_(std::move(upper)),
        lower_slice_(lower_),
        upper_slice_(upper_) {
    options.iterate_lower_bound = &lower_slice_;
    if (!upper_.empty()) options.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(options, family));
  }
  BoundedIterator(const BoundedIterator&) = delete;
  BoundedIterator& operator=(const BoundedIterator&) = delete;

  rocksdb::Iterator* operator->() const { return it_.get(); }
  const rocksdb::Slice& lower() const { return lower_slice_; }
  void SeekToLower() { it_->Seek(lower_slice_); }

 private:
  std::string lower_, upper_;
  rocksdb::Slice lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace streamkeeper
