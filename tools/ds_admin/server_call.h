// ServerCall: what the commands that work through a running server (--url) share.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "admin_client.h"
#include "commands.h"
#include "streamkeeper/status.h"

namespace ds_admin {

// An AdminClient for invocation.url, .token and .ca_file.
streamkeeper::Status ConnectTo(const Invocation& invocation, std::unique_ptr<AdminClient>* out);

// The server's error answer to `action` ("delete /v1/stream/x", "GET /_admin/snapshot") as a
// message for the operator: the URL, its JSON error, and for 401/403 what is wrong with the
// token.
std::string ServerRefusal(const AdminClient& client, std::string_view action,
                          const AdminResponse& response);

// POSTs to `route` ("/_admin/compact") and parses the 200 JSON object answer into *out.
// Prints the failure and returns kExitError otherwise; kExitOk on success.
int PostAdminRoute(const Invocation& invocation, std::string_view route,
                   std::chrono::milliseconds timeout, boost::json::object* out);

}  // namespace ds_admin
