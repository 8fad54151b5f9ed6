// ImportTarget through a running server's HTTP API.
//
// Each stream is created with PUT (its content type, and its TTL or Expires-At: a TTL starts
// afresh, an Expires-At is kept), then filled with POSTs of about 1 MiB each (byte streams: the
// records' bytes run together; JSON streams: a JSON array of the messages), in order; the last
// POST carries Stream-Closed when the stream was closed, and its Stream-Seq when it had one. A
// closed stream without records is created closed. The server gives the data new offsets and a
// new created-at; producer states cannot be set through the API and are dropped. Paths map to
// request targets by AdminClient::stream_target().
#include <chrono>
#include <string>
#include <utility>

#include "import_target.h"
#include "server_call.h"
#include "manager/content_type.h"
#include "output_format.h"

namespace ds_admin {

using streamkeeper::Status;

namespace {

constexpr size_t kPostBytes = 1 << 20;
constexpr std::chrono::milliseconds kRequestTimeout{60'000};

class ServerTarget final : public ImportTarget {
 public:
  explicit ServerTarget(std::unique_ptr<AdminClient> client) : client_(std::move(client)) {}

  std::string Target(const std::string& path) const {
    return client_->stream_target(path);
  }

  Status Exists(const std::string& path, bool* exists) override {
    AdminResponse response;
    Status s = client_->request("HEAD", Target(path), {}, {}, kRequestTimeout, &response);
    if (!s.ok()) return s;
    if (response.status == 404) {
      *exists = false;
      return Status::Ok();
    }
    if (response.status == 200 || response.status == 410) {  // 410: soft-deleted, still taken
      *exists = true;
      return Status::Ok();
    }
    return Status::IoError(ServerRefusal(*client_, "checking stream " + path, response));
  }

  Status BeginStream(const ExportedStream& stream) override {
    stream_ = stream;
    is_json_ = streamkeeper::IsJsonContentType(stream.content_type);
    body_.clear();
    HeaderList headers{{"Content-Type", stream.content_type}};
    if (stream.ttl_seconds) headers.emplace_back("Stream-TTL", std::to_string(*stream.ttl_seconds));
    if (stream.expires_at_ms) {
      headers.emplace_back("Stream-Expires-At", FormatTimeMs(*stream.expires_at_ms));
    }
    if (stream.closed && stream.tail == 0) headers.emplace_back("Stream-Closed", "true");
    AdminResponse response;
    Status s =
        client_->request("PUT", Target(stream.path), headers, {}, kRequestTimeout, &response);
    if (!s.ok()) return s;
    if (response.status == 201) return Status::Ok();
    if (response.status == 200 || response.status == 409) {
      return Status::Of(streamkeeper::StatusCode::kConfigMismatch,
                        "stream " + stream.path + " exists on the server at " + client_->url() +
                            " (created since the import checked)");
    }
    return Status::IoError(ServerRefusal(*client_, "creating stream " + stream.path, response));
  }

  Status AddRecord(const ExportedRecord& record) override {
    if (!body_.empty() && body_.size() + record.payload.size() > kPostBytes) {
      if (Status s = Post(false); !s.ok()) return s;
    }
    if (is_json_) body_ += body_.empty() ? "[" : ",";
    body_ += record.payload;
    return Status::Ok();
  }

  Status EndStream() override {
    if (body_.empty()) return Status::Ok();  // no records: created (closed, if it was) by PUT
    return Post(true);
  }

  Status Finish() override { return Status::Ok(); }
  std::string Describe() const override { return "the server at " + client_->url(); }
  bool IsExact() const override { return false; }

 private:
  Status Post(bool last) {
    if (is_json_) body_ += "]";
    HeaderList headers{{"Content-Type", stream_.content_type}};
    if (last && stream_.closed) headers.emplace_back("Stream-Closed", "true");
    if (last && !stream_.stream_seq.empty()) headers.emplace_back("Stream-Seq", stream_.stream_seq);
    AdminResponse response;
    Status s =
        client_->request("POST", Target(stream_.path), headers, body_, kRequestTimeout, &response);
    body_.clear();
    if (!s.ok()) return s;
    if (response.status == 200 || response.status == 204) return Status::Ok();
    return Status::IoError(ServerRefusal(*client_, "appending to stream " + stream_.path, response));
  }

  std::unique_ptr<AdminClient> client_;
  ExportedStream stream_;
  bool is_json_ = false;
  std::string body_;  // the next POST's body
};

}  // namespace

Status OpenServerTarget(AdminClientOptions options, std::unique_ptr<ImportTarget>* out) {
  std::unique_ptr<AdminClient> client;
  Status s = AdminClient::Create(std::move(options), &client);
  if (!s.ok()) return s;
  *out = std::make_unique<ServerTarget>(std::move(client));
  return Status::Ok();
}


}  // namespace ds_admin
