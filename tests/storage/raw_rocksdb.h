// RawRocksDb: a data directory opened with RocksDB directly, every column family it has, for
// tests that read or plant keys below RocksDbStorage (key layouts, format versions, a format-1
// directory half migrated). Asserts (gtest) instead of returning errors.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace streamkeeper::testing {

class RawRocksDb {
 public:
  // Opens every family `path` has, creating those in `create` that it lacks.
  explicit RawRocksDb(const std::string& path, std::vector<std::string> create = {}) {
    rocksdb::Options options;
    options.create_missing_column_families = true;
    std::vector<std::string> names;
    rocksdb::Status status = rocksdb::DB::ListColumnFamilies(options, path, &names);
    EXPECT_TRUE(status.ok()) << status.ToString();
    for (std::string& name : create) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.push_back({name, rocksdb::ColumnFamilyOptions()});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    status = rocksdb::DB::Open(options, path, families, &handles, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
    for (rocksdb::ColumnFamilyHandle* handle : handles) handles_[handle->GetName()] = handle;
  }
  ~RawRocksDb() {
    for (auto& [name, handle] : handles_) db_->DestroyColumnFamilyHandle(handle);
    if (db_) db_->Close();
  }
  RawRocksDb(const RawRocksDb&) = delete;
  RawRocksDb& operator=(const RawRocksDb&) = delete;

  bool Has(const std::string& family) const { return handles_.contains(family); }
  rocksdb::ColumnFamilyHandle* Family(const std::string& family) { return handles_.at(family); }
  rocksdb::DB* db() { return db_.get(); }

  void Put(const std::string& family, const std::string& key, const std::string& value) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db_->Put(sync, Family(family), key, value).ok());
  }
  // nullopt when absent.
  std::optional<std::string> Get(const std::string& family, const std::string& key) {
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), Family(family), key, &value);
    if (status.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(status.ok()) << status.ToString();
    return value;
  }
  // Every (key, value) of `family` in key order.
  std::vector<std::pair<std::string, std::string>> Entries(const std::string& family) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace streamkeeper::testing
