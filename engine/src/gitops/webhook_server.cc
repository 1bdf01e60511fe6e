// WebhookServer (webhook.h): cpp-httplib serving `POST /hooks/git`. Each delivery is
// authenticated before anything else is looked at; only then is it classified, parsed
// and handed to on_push.
#include <httplib.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gorch/engine/webhook.h"

namespace gorch::engine {
namespace {

using Json = nlohmann::json;
constexpr const char* kHookPath = "/hooks/git";

struct ListenAddress {
  std::string host;
  int port = 0;
};

// "HOST:PORT" or "[V6HOST]:PORT".
Result<ListenAddress> ParseListen(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("webhook listen address \"" + std::string(listen) + "\" is not HOST:PORT");
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return Status::InvalidArgument("webhook listen address \"" + std::string(listen) +
                                   "\" is not HOST:PORT with a port in 0..65535");
  }
  return ListenAddress{std::string(host), port};
}

std::map<std::string, std::string> LowerCasedHeaders(const httplib::Headers& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace(std::move(lower), value);  // the first of repeated headers wins
  }
  return out;
}

std::string HeaderOf(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

void Reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// Why a delivery is not authenticated; "" when it is. A signature, when present, must
// be right whatever the provider; GitHub deliveries must carry one; GitLab ones may
// carry X-Gitlab-Token instead.
std::string AuthenticationError(const std::string& secret, const DeliveryKind& kind,
                                const std::map<std::string, std::string>& headers, std::string_view body) {
  std::string signature = HeaderOf(headers, "x-hub-signature-256");
  if (!signature.empty()) {
    return VerifyHubSignature256(secret, body, signature)
               ? ""
               : "X-Hub-Signature-256 does not match the body signed with the webhook secret";
  }
  if (kind.provider == "gitlab") {
    std::string token = HeaderOf(headers, "x-gitlab-token");
    if (token.empty()) return "missing X-Gitlab-Token: set the webhook's secret token";
    return VerifyGitlabToken(secret, token) ? "" : "X-Gitlab-Token does not match the webhook secret";
  }
  if (!HeaderOf(headers, "x-hub-signature").empty()) {
    return "only X-Hub-Signature-256 is accepted, not the SHA-1 X-Hub-Signature";
  }
  return "missing X-Hub-Signature-256: set a secret on the webhook";
}

}  // namespace

class WebhookServer::Impl {
 public:
  explicit Impl(WebhookOptions options) : options_(std::move(options)) {}

  Status Listen(const ListenAddress& address);
  void Shutdown();
  int port() const { return port_; }

 private:
  void Install();
  void HandleDelivery(const httplib::Request& req, httplib::Response& res);
  void Log(const httplib::Request& req, int status, std::string_view provider, std::string_view ref);

  WebhookOptions options_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> loop_returned_{false};  // set by thread_ when listen_after_bind() returns
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

void WebhookServer::Impl::Log(const httplib::Request& req, int status, std::string_view provider,
                              std::string_view ref) {
  if (!options_.log) return;
  options_.log(req.method + " " + req.path + " " + std::to_string(status) + " " +
               std::string(provider.empty() ? "-" : provider) + " " + std::string(ref.empty() ? "-" : ref));
}

void WebhookServer::Impl::HandleDelivery(const httplib::Request& req, httplib::Response& res) {
  std::map<std::string, std::string> headers = LowerCasedHeaders(req.headers);
  DeliveryKind kind = ClassifyDelivery(headers);
  auto answer = [&](int status, const Json& body, std::string_view ref = "") {
    Reply(res, status, body);
    Log(req, status, kind.provider, ref);
  };
  // httplib refuses a body over the limit before this handler runs; this covers any
  // transfer encoding it does not limit.
  if (req.body.size() > options_.max_body_bytes) {
    return answer(413, {{"error", "body is over " + std::to_string(options_.max_body_bytes) + " bytes"}});
  }
  if (std::string why = AuthenticationError(options_.secret, kind, headers, req.body); !why.empty()) {
    return answer(401, {{"error", why}});
  }
  if (kind.provider == "github" && kind.event == "ping") return answer(200, {{"pong", true}});

  Result<PushEvent> push = ParsePushEvent(headers, req.body);
  if (push.status().IsNotFound()) return answer(202, {{"ignored", kind.event}});
  if (!push.ok()) return answer(400, {{"error", push.status().message()}});

  std::vector<std::string> triggered;
  if (options_.on_push) {
    try {
      triggered = options_.on_push(*push);
    } catch (const std::exception& e) {
      return answer(500, {{"error", std::string("push handler failed: ") + e.what()}}, push->ref);
    }
  }
  // 202 even when no source follows this repository and branch: the delivery was
  // accepted and understood; "triggered" is then an empty list.
  answer(202, {{"triggered", triggered}}, push->ref);
}

void WebhookServer::Impl::Install() {
  server_.Post(kHookPath, [this](const httplib::Request& req, httplib::Response& res) { HandleDelivery(req, res); });
  auto not_allowed = [this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Allow", "POST");
    Reply(res, 405, {{"error", "method " + req.method + " not allowed on " + kHookPath + "; use POST"}});
    Log(req, 405, "", "");
  };
  server_.Get(kHookPath, not_allowed);
  server_.Put(kHookPath, not_allowed);
  server_.Patch(kHookPath, not_allowed);
  server_.Delete(kHookPath, not_allowed);
  server_.Options(kHookPath, not_allowed);
  // Statuses httplib sets itself (404 for no route, 413 for a body over the limit, 400
  // for a malformed request) reach here with an empty body; ours already have one.
  server_.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                         httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string error = res.status == 404   ? "no such path: " + req.path + " (webhooks go to POST " + kHookPath + ")"
                        : res.status == 413 ? "body is over " + std::to_string(options_.max_body_bytes) + " bytes"
                                            : "bad request";
    Reply(res, res.status, {{"error", error}});
    Log(req, res.status, ClassifyDelivery(LowerCasedHeaders(req.headers)).provider, "");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    Reply(res, 500, {{"error", "internal error"}});
    Log(req, 500, "", "");
  });
  server_.set_payload_max_length(options_.max_body_bytes);
  // One request per connection: deliveries come one at a time, and an idle keep-alive
  // connection would hold Shutdown() for httplib's keep-alive timeout (5 s).
  server_.set_keep_alive_max_count(1);
  // httplib's default also sets SO_REUSEPORT, which would let a second server bind the
  // same port and silently take half the deliveries; keep SO_REUSEADDR only, so a
  // taken port is an error and a restart does not wait out TIME_WAIT.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

Status WebhookServer::Impl::Listen(const ListenAddress& address) {
  Install();
  if (address.port == 0) {
    port_ = server_.bind_to_any_port(address.host);
  } else {
    port_ = server_.bind_to_port(address.host, address.port) ? address.port : -1;
  }
  if (port_ < 0) {
    return Status::Unavailable("webhook cannot listen on " + options_.listen +
                               ": the port is taken or the host is not a local address");
  }
  thread_ = std::thread([this] {
    server_.listen_after_bind();
    loop_returned_ = true;
  });
  // httplib's stop() does nothing until the accept loop has started, so wait for it:
  // a Shutdown() right after Start() must not leave the loop running forever.
  while (!server_.is_running() && !loop_returned_) std::this_thread::yield();
  if (loop_returned_) {
    thread_.join();
    return Status::Unavailable("webhook server on " + options_.listen + " stopped as it started");
  }
  return Status::Ok();
}

void WebhookServer::Impl::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  server_.stop();  // closes the listening socket; listen_after_bind() then drains its workers
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<WebhookServer>> WebhookServer::Start(WebhookOptions options) {
  if (options.secret.empty()) {
    return Status::InvalidArgument("webhook secret is empty: deliveries could not be authenticated");
  }
  if (options.max_body_bytes == 0) return Status::InvalidArgument("webhook max_body_bytes is 0");
  Result<ListenAddress> address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  auto impl = std::make_unique<Impl>(std::move(options));
  GORCH_RETURN_IF_ERROR(impl->Listen(*address));
  return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl)));
}

WebhookServer::WebhookServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookServer::~WebhookServer() { Shutdown(); }
int WebhookServer::port() const { return impl_->port(); }
void WebhookServer::Shutdown() { impl_->Shutdown(); }

}  // namespace gorch::engine
