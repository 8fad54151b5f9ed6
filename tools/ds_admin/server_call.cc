#include "server_call.h"

#include <boost/json/parse.hpp>
#include <iostream>

#include "data_dir.h"
#include "output_format.h"

namespace ds_admin {

streamkeeper::Status ConnectTo(const Invocation& invocation, std::unique_ptr<AdminClient>* out) {
  AdminClientOptions options;
  options.url = invocation.url;
  options.token = invocation.token;
  options.ca_file = invocation.ca_file;
  return AdminClient::Create(std::move(options), out);
}

std::string ServerRefusal(const AdminClient& client, std::string_view action,
                          const AdminResponse& response) {
  std::string message = std::string(action) + ": the server at " + client.url() + " answered " +
                        response.error_text();
  if (response.status == 401) {
    message += " (no valid token: give one with --token or $DS_ADMIN_TOKEN; /_admin routes need "
               "the admin right)";
  } else if (response.status == 403) {
    message += " (the token lacks the right for this; /_admin routes need the admin right)";
  }
  return message;
}

int PostAdminRoute(const Invocation& invocation, std::string_view route,
                   std::chrono::milliseconds timeout, boost::json::object* out) {
  std::unique_ptr<AdminClient> client;
  streamkeeper::Status s = ConnectTo(invocation, &client);
  if (!s.ok()) return ReportError(s);
  AdminResponse response;
  s = client->request("POST", client->route_target(route), {}, "", timeout, &response);
  if (!s.ok()) return ReportError(s);
  if (response.status != 200) {
    return ReportError(ServerRefusal(*client, "POST " + std::string(route), response));
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(response.body, ec);
  if (ec || !value.is_object()) {
    return ReportError(client->url() + std::string(route) +
                       " answered 200 with no JSON object: " + response.body.substr(0, 200));
  }
  *out = std::move(value.as_object());
  return kExitOk;
}

}  // namespace ds_admin
