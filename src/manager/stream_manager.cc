// The StreamManager facade: forwards to StreamManager::Impl (stream_manager_impl.h).
#include "streamkeeper/stream_manager.h"

#include <condition_variable>
#include <future>
#include <mutex>

#include "manager/stream_manager_impl.h"

namespace streamkeeper {

std::unique_ptr<StreamManager> StreamManager::Open(std::unique_ptr<Storage> storage,
                                                   ManagerOptions options, Status* status) {
  auto impl = std::make_unique<Impl>(std::move(storage), std::move(options));
  *status = impl->open();
  if (!status->ok()) return nullptr;
  impl->start();
  return std::unique_ptr<StreamManager>(new StreamManager(std::move(impl)));
}

StreamManager::StreamManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamManager::~StreamManager() { impl_->shutdown(); }

void StreamManager::create_async(const std::string& path, CreateOptions options,
                                 CreateCallback done) {
  impl_->create_async(path, std::move(options), std::move(done));
}

Status StreamManager::create(const std::string& path, CreateOptions options,
                             CreateResult* result) {
  std::promise<std::pair<Status, CreateResult>> promise;
  auto future = promise.get_future();
  create_async(path, std::move(options), [&promise](Status s, CreateResult r) {
    promise.set_value({std::move(s), std::move(r)});
  });
  auto [status, created] = future.get();
  if (result) *result = std::move(created);
  return status;
}

void StreamManager::append_async(const std::string& path, std::string data,
                                 AppendOptions options, AppendCallback done) {
  impl_->append_async(path, std::move(data), std::move(options), std::move(done));
}

AppendResult StreamManager::append(const std::string& path, std::string data,
                                   AppendOptions options) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  append_async(path, std::move(data), std::move(options),
               [&promise](AppendResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

AppendResult StreamManager::close(const std::string& path) {
  AppendOptions options;
  options.close = true;
  return append(path, {}, std::move(options));
}

void StreamManager::remove_async(const std::string& path, StatusCallback done) {
  impl_->remove_async(path, std::move(done));
}

Status StreamManager::remove(const std::string& path) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  remove_async(path, [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

Status StreamManager::get_metadata(const std::string& path, StreamInfo* info) {
  return impl_->get_metadata(path, info);
}

ReadResult StreamManager::read(const std::string& path, std::optional<uint64_t> from,
                               const ReadOptions& options) {
  return impl_->read(path, from, options, false);
}

ReadResult StreamManager::read_messages(const std::string& path, std::optional<uint64_t> from,
                                        const ReadOptions& options) {
  return impl_->read(path, from, options, true);
}

ReadResult StreamManager::read_live(const std::string& path, std::optional<uint64_t> from,
                                    std::chrono::milliseconds timeout,
                                    const ReadOptions& options) {
  ReadResult first = read(path, from, options);
  if (!first.status.ok() || first.next > from.value_or(first.next) || first.closed) return first;
  uint64_t position = first.next;
  struct Signal {
    std::mutex mu;
    std::condition_variable cv;
    bool fired = false;
  };
  auto signal = std::make_shared<Signal>();
  uint64_t handle = wait_async(path, position, [signal] {
    std::lock_guard lock(signal->mu);
    signal->fired = true;
    signal->cv.notify_all();
  });
  if (handle != 0) {
    std::unique_lock lock(signal->mu);
    if (!signal->cv.wait_for(lock, timeout, [&] { return signal->fired; })) {
      lock.unlock();
      if (!cancel_wait(path, handle)) {
        lock.lock();  // the wake is running right now: let it finish with our signal
        signal->cv.wait(lock, [&] { return signal->fired; });
      }
    }
  }
  return read(path, position, options);
}

uint64_t StreamManager::wait_async(const std::string& path, uint64_t from, WakeCallback wake) {
  return impl_->wait_async(path, from, std::move(wake));
}

bool StreamManager::cancel_wait(const std::string& path, uint64_t handle) {
  return impl_->cancel_wait(path, handle);
}

size_t StreamManager::sweep_expired() { return impl_->sweep_expired(); }

Status StreamManager::list_streams(const ListOptions& options, StreamListing* out) {
  return impl_->list_streams(options, out);
}

std::vector<std::string> StreamManager::list_streams() {
  std::vector<std::string> paths;
  ListOptions options;
  StreamListing page;
  do {
    if (!list_streams(options, &page).ok()) break;
    paths.insert(paths.end(), page.paths.begin(), page.paths.end());
    if (page.next_after) options.start_after = *page.next_after;
  } while (page.next_after);
  return paths;
}

ManagerStats StreamManager::stats() { return impl_->stats(); }
StorageHealthReport StreamManager::storage_health() { return impl_->storage_health(); }

void StreamManager::shutdown() { impl_->shutdown(); }

}  // namespace streamkeeper
