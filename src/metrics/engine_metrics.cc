#include "metrics/engine_metrics.h"

#include <array>
#include <utility>

namespace streamkeeper {

void WriteEngineMetrics(const ManagerStats& stats, const StorageHealthReport& health,
                        Exposition* out) {
  out->single("streamkeeper_appended_records_total", MetricType::kCounter,
              "Records of acknowledged appends (one per append to a byte stream, one per "
              "message to a JSON stream).",
              stats.appended_records);
  out->single("streamkeeper_appended_bytes_total", MetricType::kCounter,
              "Payload bytes of acknowledged appends (JSON streams: the messages' text).",
              stats.appended_bytes);

  out->family("streamkeeper_commit_batch_records", MetricType::kHistogram,
              "Records per storage write of the group committer (appends that shared one "
              "write and one sync).");
  out->histogram("streamkeeper_commit_batch_records", {}, stats.batch_records);
  out->family("streamkeeper_storage_sync_duration_seconds", MetricType::kHistogram,
              "Time per storage sync (WAL fsync) made by the group committer.");
  out->histogram("streamkeeper_storage_sync_duration_seconds", {}, stats.sync_seconds);

  out->single("streamkeeper_storage_writable", MetricType::kGauge,
              "1 while the storage takes writes, 0 while it is degraded or recovering.",
              uint64_t{stats.writable ? 1u : 0u});
  out->family("streamkeeper_storage_state", MetricType::kGauge,
              "The storage's write state: 1 for the current one.");
  constexpr std::array<std::pair<StorageState, std::string_view>, 3> kStates{{
      {StorageState::kHealthy, "healthy"},
      {StorageState::kDegraded, "degraded"},
      {StorageState::kRecovering, "recovering"},
  }};
  for (const auto& [state, name] : kStates) {
    out->sample("streamkeeper_storage_state", {{"state", name}},
                uint64_t{health.state == state ? 1u : 0u});
  }
  out->single("streamkeeper_storage_failures_total", MetricType::kCounter,
              "Times the storage went from healthy to degraded (a failed write or sync, or "
              "free space below the reserve).",
              stats.storage_failures);
  out->single("streamkeeper_storage_recoveries_total", MetricType::kCounter,
              "Successful recoveries from a storage failure.", stats.recoveries);
  if (health.free_disk_bytes) {
    out->single("streamkeeper_storage_free_bytes", MetricType::kGauge,
                "Free bytes on the data directory's volume.", *health.free_disk_bytes);
  }
  out->single("streamkeeper_storage_free_reserve_bytes", MetricType::kGauge,
              "Free-space reserve (--min-free-disk-mb): below it creates and appends are "
              "refused with 507.",
              health.min_free_disk_bytes);
  if (stats.storage.live_sst_bytes) {
    out->single("streamkeeper_storage_live_sst_bytes", MetricType::kGauge,
                "Bytes of the storage's live table files (RocksDB live SST files).",
                *stats.storage.live_sst_bytes);
  }
  if (stats.storage.memtable_bytes) {
    out->single("streamkeeper_storage_memtable_bytes", MetricType::kGauge,
                "Bytes in the storage's write buffers (RocksDB memtables).",
                *stats.storage.memtable_bytes);
  }
  if (stats.storage.pending_compaction_bytes) {
    out->single("streamkeeper_storage_pending_compaction_bytes", MetricType::kGauge,
                "Bytes the storage estimates compaction still has to rewrite.",
                *stats.storage.pending_compaction_bytes);
  }

  out->single("streamkeeper_stream_cache_streams", MetricType::kGauge,
              "Streams in memory (loaded streams, and paths known to be absent).",
              stats.cached_streams);
  out->single("streamkeeper_stream_cache_bytes", MetricType::kGauge,
              "Estimated memory of the streams in memory (bounded by --stream-cache-mb).",
              stats.cache_bytes);
  out->single("streamkeeper_stream_cache_hits_total", MetricType::kCounter,
              "Stream lookups that found the stream in memory.", stats.cache_hits);
  out->single("streamkeeper_stream_cache_misses_total", MetricType::kCounter,
              "Stream lookups that read the stream from storage.", stats.cache_misses);
  out->single("streamkeeper_stream_cache_evictions_total", MetricType::kCounter,
              "Streams dropped from memory to stay within the cache size.",
              stats.cache_evictions);
  out->single("streamkeeper_streams_expired_total", MetricType::kCounter,
              "Streams removed because their TTL or Expires-At passed.", stats.expired);
}

}  // namespace streamkeeper
