#include "http/request_observer.h"

namespace streamkeeper {

std::string_view RouteKindName(RouteKind kind) {
  switch (kind) {
    case RouteKind::kCreate: return "create";
    case RouteKind::kAppend: return "append";
    case RouteKind::kRead: return "read";
    case RouteKind::kLongPoll: return "long-poll";
    case RouteKind::kSse: return "sse";
    case RouteKind::kHead: return "head";
    case RouteKind::kDelete: return "delete";
    case RouteKind::kOther: return "other";
  }
  return "other";
}

}  // namespace streamkeeper
