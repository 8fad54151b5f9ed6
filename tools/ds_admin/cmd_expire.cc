// `ds-admin expire`: the expiry sweep now (StreamManager::sweep_expired): every stream whose TTL
// or Expires-At has passed is removed. Offline on a stopped directory, or through the running
// server holding it (--url: POST /_admin/expire).
#include <boost/json/object.hpp>
#include <iostream>

#include "commands.h"
#include "data_dir.h"
#include "output_format.h"
#include "server_call.h"

namespace ds_admin {

int RunExpire(const Invocation& invocation) {
  uint64_t expired = 0;
  const std::string& target = invocation.url.empty() ? invocation.data_dir : invocation.url;
  if (invocation.url.empty()) {
    std::unique_ptr<streamkeeper::StreamManager> manager;
    streamkeeper::Status s =
        OpenManager(invocation.data_dir, {"expire", "run the expiry sweep"}, &manager);
    if (!s.ok()) return ReportError(s);
    expired = manager->sweep_expired();
    manager->shutdown();
  } else {
    boost::json::object answer;
    int code = PostAdminRoute(invocation, "/_admin/expire", std::chrono::minutes(10), &answer);
    if (code != kExitOk) return code;
    const boost::json::value* count = answer.if_contains("expired");
    if (count == nullptr || !count->is_number()) {
      return ReportError(invocation.url + "/_admin/expire answered without \"expired\"");
    }
    expired = count->to_number<uint64_t>();
  }
  if (invocation.json) {
    PrintJson(std::cout, boost::json::object{{"target", target}, {"expired", expired}});
  } else {
    std::cout << "expired " << expired << " streams in " << target << "\n";
  }
  return kExitOk;
}

}  // namespace ds_admin
