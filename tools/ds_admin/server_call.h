// ServerCall: what the changing commands (backup, compact, expire) share when they work
// through a running server (--url) or refuse a directory a server holds.
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

// When a server holds `dir`: prints "ds-admin: data directory <dir> is in use by a running
// server (pid N); <action> through that server instead: ds-admin <command> --url URL (with
// --token when auth is on)" and returns true (the caller exits 1). False when none holds it.
bool RefuseLiveDirectory(const std::string& dir, std::string_view command, std::string_view action);

// The server's error answer as a message for the operator: its JSON error, and a hint for
// 401/403 (an admin token is needed) and for 501.
std::string ServerRefusal(const AdminClient& client, std::string_view route,
                          const AdminResponse& response);

// POSTs to `route` ("/_admin/compact") and parses the 200 JSON object answer into *out.
// Prints the failure and returns kExitError otherwise; kExitOk on success.
int PostAdminRoute(const Invocation& invocation, std::string_view route,
                   std::chrono::milliseconds timeout, boost::json::object* out);

}  // namespace ds_admin
