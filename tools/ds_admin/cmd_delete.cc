// `ds-admin delete <path>`: StreamManager::remove on a stopped data directory, so forks keep a
// soft-deleted source readable; or, with --url, DELETE through the running server (which does
// the same). A directory a server holds is refused with a message pointing at --url.
#include <chrono>
#include <iostream>

#include "admin_client.h"
#include "commands.h"
#include "data_dir.h"
#include "import_target.h"
#include "output_format.h"
#include "server_call.h"

namespace ds_admin {

using streamkeeper::Status;
using streamkeeper::StatusCode;

namespace {

int DeleteThroughServer(const Invocation& invocation) {
  std::unique_ptr<AdminClient> client;
  Status s = AdminClient::Create(
      {.url = invocation.url, .token = invocation.token, .ca_file = invocation.ca_file}, &client);
  if (!s.ok()) return ReportError(s);
  AdminResponse response;
  const std::string target = client->stream_target(invocation.path);
  s = client->request("DELETE", target, {}, {}, std::chrono::milliseconds(30'000), &response);
  if (!s.ok()) return ReportError("delete " + invocation.path + ": " + s.message());
  switch (response.status) {
    case 200:
    case 204:
      std::cout << "deleted " << invocation.path << " on " << client->url() << "\n";
      return kExitOk;
    case 404:
      return ReportError("delete " + invocation.path + ": no such stream on " + client->url());
    case 410:
      return ReportError("delete " + invocation.path +
                         ": already soft-deleted; it goes when its last fork is deleted");
    default:
      return ReportError(ServerRefusal(*client, "delete " + invocation.path, response));
  }
}

}  // namespace

int RunDelete(const Invocation& invocation) {
  if (!invocation.url.empty()) return DeleteThroughServer(invocation);
  std::unique_ptr<streamkeeper::StreamManager> manager;
  Status s = OpenManager(invocation.data_dir, {"delete", "delete"}, &manager);
  if (!s.ok()) return ReportError(s);

  s = manager->remove(invocation.path);
  if (s.code() == StatusCode::kGone) {
    return ReportError("delete " + invocation.path +
                       ": already soft-deleted; it goes when its last fork is deleted");
  }
  if (!s.ok()) return ReportError("delete " + invocation.path + ": " + s.message());

  // A stream that forks still read from stays, soft-deleted: get_metadata then answers kGone.
  streamkeeper::StreamInfo info;
  if (manager->get_metadata(invocation.path, &info).code() == StatusCode::kGone) {
    std::cout << "soft-deleted " << invocation.path
              << " (forks still read from it; it goes with its last fork)\n";
  } else {
    std::cout << "deleted " << invocation.path << "\n";
  }
  manager->shutdown();  // drain the committer before reporting success
  return kExitOk;
}

}  // namespace ds_admin
