// The git webhook endpoint: `POST /hooks/git` makes the server fetch a source at once
// when GitHub or GitLab reports a push, instead of waiting for the next poll.
//
// Two layers:
//  - pure functions (VerifyHubSignature256, VerifyGitlabToken, ParsePushEvent) that
//    check a delivery and turn its payload into a PushEvent; no I/O.
//  - WebhookServer, a small HTTP server (cpp-httplib, hidden behind a pimpl) that
//    authenticates each delivery and hands pushes to a callback.
//
// Authentication is the only thing that stands between the network and a fetch, so a
// delivery that is not authenticated never reaches the callback. The server speaks
// plain HTTP; put it behind a TLS-terminating proxy when it faces the internet.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::engine {

// What a push delivery says, reduced to what a git source needs to decide whether the
// push is about it.
struct PushEvent {
  std::string provider;                // "github" | "gitlab"
  std::string ref;                     // "refs/heads/main", "refs/tags/v1.2"
  std::string branch;                  // "main"; empty when ref is not under refs/heads/ (tags)
  std::string after;                   // the new head sha; "" when the payload has none
  bool deleted = false;                // the ref was deleted (after is all zeros)
  std::vector<std::string> repo_urls;  // every url the payload names for the repository
                                       // (clone/ssh/html/git urls...), in payload order, no
                                       // duplicates, none empty
  std::string repo_full_name;          // "org/repo" (GitHub full_name, GitLab path_with_namespace)
};

// True when `header` is "sha256=<64 hex digits>" and the digits are the HMAC-SHA256 of
// `body` keyed with `secret` (GitHub's X-Hub-Signature-256; hex digits of either case).
// The digest comparison is constant-time. False for an empty secret, a missing prefix,
// a truncated or non-hex digest.
bool VerifyHubSignature256(std::string_view secret, std::string_view body, std::string_view header);

// True when `token` (GitLab's X-Gitlab-Token) equals `secret`, compared in constant time
// (whatever their lengths). False for an empty secret.
bool VerifyGitlabToken(std::string_view secret, std::string_view token);

// The event name a delivery's headers carry ("push", "ping", "Push Hook"...) and the
// provider it comes from ("github" | "gitlab"); both empty when neither X-GitHub-Event
// nor X-Gitlab-Event is present. `headers` have lower-cased names.
struct DeliveryKind {
  std::string provider;
  std::string event;
};
DeliveryKind ClassifyDelivery(const std::map<std::string, std::string>& headers);

// Parses a push delivery. `headers` have lower-cased names; `body` is the raw request
// body: JSON, or (GitHub) `application/x-www-form-urlencoded` with the JSON in `payload`.
// Does NOT authenticate: check the signature or token first.
// Returns:
//  - the PushEvent for a GitHub `push` or a GitLab `Push Hook` / `Tag Push Hook`;
//  - NotFound("not a push event: <event>") for any other event (ping, pull_request,
//    Merge Request Hook...): the caller answers 202 "ignored". (NotFound stands in for
//    an Unimplemented code, which status.h does not have.)
//  - InvalidArgument naming what is wrong: no event header, a body that is not JSON,
//    a payload without a string "ref", a form body without `payload`...
Result<PushEvent> ParsePushEvent(const std::map<std::string, std::string>& headers,
                                 std::string_view body);

struct WebhookOptions {
  // HOST:PORT to listen on ("[::1]:8080" for IPv6); port 0 picks any free port (see
  // WebhookServer::port()). Binds only to HOST: 0.0.0.0 to accept deliveries from
  // other machines.
  std::string listen = "127.0.0.1:0";
  // REQUIRED, non-empty: the secret configured on the GitHub/GitLab webhook.
  std::string secret;
  // Called once per authenticated push; returns the names of the sources it triggered
  // (may be empty: the delivery is still answered 202, with an empty list).
  // Runs on the HTTP worker thread that handles the request, possibly on several
  // threads at once, so it must be thread-safe and quick: wake the fetch, never run it
  // here (GitHub gives up on a delivery after 10 s). May be empty (nothing triggered).
  std::function<std::vector<std::string>(const PushEvent&)> on_push;
  // Called with one line per request handled: "METHOD PATH STATUS PROVIDER REF"
  // (PROVIDER and REF are "-" when unknown). Same threading as on_push. May be empty.
  std::function<void(const std::string&)> log;
  // Bodies above this size are refused with 413 before they are read.
  size_t max_body_bytes = 1 << 20;
};

// Serves `POST /hooks/git`:
//   401 {"error"}      missing or wrong X-Hub-Signature-256 / X-Gitlab-Token (on_push not called)
//   413 {"error"}      body over max_body_bytes
//   400 {"error"}      no event header, malformed JSON, no ref (after authentication)
//   200 {"pong":true}  GitHub ping (authenticated)
//   202 {"ignored":E}  an authenticated event that is not a push
//   202 {"triggered":[names]}  an authenticated push: what on_push returned
//   405 other methods on /hooks/git; 404 any other path. Every body is application/json.
// GitHub deliveries must carry X-Hub-Signature-256; GitLab ones X-Gitlab-Token, or
// X-Hub-Signature-256 when present (which then must be right).
class WebhookServer {
 public:
  // Binds, starts serving on background threads and returns once it is listening.
  // InvalidArgument for an empty secret or a malformed `listen`; Unavailable when the
  // address cannot be bound (port taken, unknown host).
  static Result<std::unique_ptr<WebhookServer>> Start(WebhookOptions options);

  ~WebhookServer();  // calls Shutdown()
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // The port it listens on (the one picked when options.listen asked for port 0).
  int port() const;

  // Stops accepting, waits for the requests in flight to finish (a client that stalls
  // mid-request is cut off by the 5 s read timeout), then returns; the port is closed
  // when it returns. Idempotent. Must not be called from on_push or log.
  void Shutdown();

 private:
  class Impl;
  explicit WebhookServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorch::engine
