// NeedsOf: which right on which path each request needs (access/access_rules.h).
#include "access/access_rules.h"

#include <gtest/gtest.h>

namespace streamkeeper {
namespace {

struct Request {
  HttpRequest request;
  Request(std::string_view method, std::string_view target,
          std::vector<std::pair<std::string_view, std::string_view>> headers = {}) {
    request.method = method;
    request.target = target;
    request.headers = std::move(headers);
  }
};

TEST(AccessRules, APlainForkNeedsWriteOnTheNewStreamAndReadOnTheSource) {
  Request put("PUT", "/v1/stream/mine/copy", {{"Stream-Forked-From", "/v1/stream/theirs/src"}});
  NeedsScratch scratch;
  RequestNeeds needs = NeedsOf(put.request, false, &scratch);
  ASSERT_EQ(needs.kind, RequestNeeds::Kind::kToken);
  ASSERT_EQ(needs.count, 2u);
  EXPECT_EQ(needs.needs[0].right, Right::kWrite);
  EXPECT_EQ(needs.needs[0].path, "/v1/stream/mine/copy");
  EXPECT_EQ(needs.needs[1].right, Right::kRead);
  EXPECT_EQ(needs.needs[1].path, "/v1/stream/theirs/src");
}

TEST(AccessRules, AForkSourceGivenAsAUrlIsMatchedByItsDecodedPath) {
  Request put("PUT", "/v1/stream/copy",
              {{"stream-forked-from", "https://elsewhere/v1/stream/a%20b?offset=1"}});
  NeedsScratch scratch;
  RequestNeeds needs = NeedsOf(put.request, false, &scratch);
  ASSERT_EQ(needs.count, 2u);
  EXPECT_EQ(needs.needs[1].path, "/v1/stream/a b");
}

TEST(AccessRules, AnUnsafeForkSourceOrPathIsRefusedWhateverTheRights) {
  NeedsScratch scratch;
  Request fork("PUT", "/v1/stream/copy", {{"Stream-Forked-From", "/v1/stream/x/../../y"}});
  EXPECT_EQ(NeedsOf(fork.request, false, &scratch).kind, RequestNeeds::Kind::kUnsafePath);
  Request get("GET", "/v1/stream/chat%2F..%2Fsecret");
  EXPECT_EQ(NeedsOf(get.request, false, &scratch).kind, RequestNeeds::Kind::kUnsafePath);
}

TEST(AccessRules, OnlyPreflightAndProbesAreFree) {
  NeedsScratch scratch;
  EXPECT_EQ(NeedsOf(Request("OPTIONS", "/v1/stream/x").request, false, &scratch).kind,
            RequestNeeds::Kind::kFree);
  EXPECT_EQ(NeedsOf(Request("GET", "/healthz").request, false, &scratch).kind,
            RequestNeeds::Kind::kFree);
  EXPECT_EQ(NeedsOf(Request("GET", "/readyz?verbose").request, false, &scratch).kind,
            RequestNeeds::Kind::kFree);
  EXPECT_EQ(NeedsOf(Request("GET", "/metrics").request, true, &scratch).kind,
            RequestNeeds::Kind::kNoToken);
  RequestNeeds metrics = NeedsOf(Request("GET", "/metrics").request, false, &scratch);
  ASSERT_EQ(metrics.kind, RequestNeeds::Kind::kToken);
  EXPECT_EQ(metrics.needs[0].right, Right::kAdmin);
  EXPECT_EQ(metrics.needs[0].path, "/metrics");
}

TEST(AccessRules, OtherMethodsNeedAdmin) {
  NeedsScratch scratch;
  RequestNeeds needs = NeedsOf(Request("PATCH", "/v1/stream/x").request, false, &scratch);
  ASSERT_EQ(needs.count, 1u);
  EXPECT_EQ(needs.needs[0].right, Right::kAdmin);
}

}  // namespace
}  // namespace streamkeeper
