// Engine metrics: what the StreamManager measures (ManagerStats, StorageHealthReport), in the
// exposition format.
//
//   streamkeeper_appended_records_total              counter    records of acknowledged appends
//   streamkeeper_appended_bytes_total                counter    their payload bytes
//   streamkeeper_commit_batch_records                histogram  records per group-commit write
//   streamkeeper_storage_sync_duration_seconds       histogram  time per storage sync (fsync)
//   streamkeeper_storage_writable                    gauge      1 while writes are taken
//   streamkeeper_storage_state{state}                gauge      1 for the current state of
//                                                               healthy, degraded, recovering
//   streamkeeper_storage_failures_total              counter    healthy -> degraded transitions
//   streamkeeper_storage_recoveries_total            counter    successful recoveries
//   streamkeeper_storage_free_bytes                  gauge      free disk space (when reported)
//   streamkeeper_storage_free_reserve_bytes          gauge      --min-free-disk-mb, in bytes
//   streamkeeper_storage_live_sst_bytes              gauge      } the backend's own stats
//   streamkeeper_storage_memtable_bytes              gauge      } (Storage::stats()), each only
//   streamkeeper_storage_pending_compaction_bytes    gauge      } when the backend reports it
//   streamkeeper_stream_cache_streams                gauge      entries in the stream cache
//   streamkeeper_stream_cache_bytes                  gauge      their estimated memory
//   streamkeeper_stream_cache_hits_total             counter
//   streamkeeper_stream_cache_misses_total           counter    streams loaded from storage
//   streamkeeper_stream_cache_evictions_total        counter
//   streamkeeper_streams_expired_total               counter    streams removed by their TTL
#pragma once

#include "metrics/exposition.h"
#include "streamkeeper/stream_manager.h"

namespace streamkeeper {

void WriteEngineMetrics(const ManagerStats& stats, const StorageHealthReport& health,
                        Exposition* out);

}  // namespace streamkeeper
