// Session: what the server-wide parts of the transport (SessionRegistry, WakeQueue) know of a
// connection's session, whatever its stream type (ConnectionSession<Stream>).
// Private to src/http.
#pragma once

#include <cstdint>
#include <memory>

namespace streamkeeper {

class Session : public std::enable_shared_from_this<Session> {
 public:
  virtual ~Session() = default;

  // The server is stopping (SessionContext::stopping is already set). Called on the session's
  // thread. Ends what would otherwise wait: an idle connection is closed, a parked long-poll
  // answered now (204 unless data came), an SSE response ended with its last chunk. A request
  // being received or answered, or already arrived, goes on; its response closes the
  // connection.
  virtual void on_server_stop() = 0;

  // The parked live read `token` may go on (new data, a close, or a shutdown). Called by the
  // session's WakeQueue on the session's own thread; stale tokens are ignored.
  virtual void wake(uint64_t token) = 0;
};

}  // namespace streamkeeper
