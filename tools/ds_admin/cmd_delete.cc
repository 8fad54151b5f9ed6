// `ds-admin delete <path>`: StreamManager::remove, so forks keep a soft-deleted source readable.
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"

namespace ds_admin {

using streamkeeper::Status;
using streamkeeper::StatusCode;

int RunDelete(const Invocation& invocation) {
  std::unique_ptr<streamkeeper::StreamManager> manager;
  Status s = OpenManager(invocation.data_dir, Access::kReadWrite, &manager);
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
