// Integration tests of WebhookServer: a real server on 127.0.0.1, real HTTP requests.
//
// The engine links Debian's compiled cpp-httplib, whose classes change layout with
// these macros; the engine gets them from pkg-config, this test (which only links
// the library) must define the same ones before including the header.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gorch/engine/webhook.h"

namespace gorch::engine {
namespace {

using Json = nlohmann::json;
constexpr const char* kSecret = "webhook-s3cret";

// "sha256=<hex>" computed here with OpenSSL directly, not through the code under test.
std::string Sign(const std::string& secret, const std::string& body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

// application/x-www-form-urlencoded: alphanumerics kept, spaces as '+', the rest %XX.
std::string FormEncode(const std::string& in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

const std::string kGithubBody = R"({"ref":"refs/heads/main", "note": "a b+c","after":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
  "repository":{"full_name":"acme/deploy","clone_url":"https://github.com/acme/deploy.git"}})";
const std::string kGitlabBody = R"({"object_kind":"push","ref":"refs/heads/prod","after":"da1560886d4f",
  "project":{"path_with_namespace":"platform/deploy","git_http_url":"https://gitlab.example.com/platform/deploy.git"}})";

class WebhookServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(1 << 20); }

  void StartServer(size_t max_body_bytes) {
    server_.reset();
    WebhookOptions options;
    options.secret = kSecret;
    options.max_body_bytes = max_body_bytes;
    options.on_push = [this](const PushEvent& push) {
      std::lock_guard<std::mutex> lock(mu_);
      pushes_.push_back(push);
      return std::vector<std::string>{"prod-" + push.branch};
    };
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(line);
    };
    Result<std::unique_ptr<WebhookServer>> started = WebhookServer::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
    ASSERT_GT(server_->port(), 0);
  }

  httplib::Client Client() { return httplib::Client("127.0.0.1", server_->port()); }

  httplib::Result PostGithub(const std::string& event, const std::string& body, const std::string& signature) {
    httplib::Headers headers = {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab"}};
    if (!signature.empty()) headers.emplace("X-Hub-Signature-256", signature);
    return Client().Post("/hooks/git", headers, body, "application/json");
  }

  std::vector<PushEvent> Pushes() {
    std::lock_guard<std::mutex> lock(mu_);
    return pushes_;
  }
  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

  static Json Body(const httplib::Result& res) { return Json::parse(res->body); }

  std::mutex mu_;
  std::vector<PushEvent> pushes_;
  std::vector<std::string> log_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(WebhookServerTest, SignedGithubPushTriggers) {
  httplib::Result res = PostGithub("push", kGithubBody, Sign(kSecret, kGithubBody));
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Body(res), Json::parse(R"({"triggered":["prod-main"]})"));
  std::vector<PushEvent> pushes = Pushes();
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].provider, "github");
  EXPECT_EQ(pushes[0].branch, "main");
  EXPECT_EQ(pushes[0].after, "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5");
  EXPECT_EQ(pushes[0].repo_urls, std::vector<std::string>{"https://github.com/acme/deploy.git"});
  std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "POST /hooks/git 202 github refs/heads/main");
}

TEST_F(WebhookServerTest, EmptyTriggerListIsStillAccepted) {
  server_.reset();
  WebhookOptions options;
  options.secret = kSecret;
  options.on_push = [](const PushEvent&) { return std::vector<std::string>{}; };
  Result<std::unique_ptr<WebhookServer>> started = WebhookServer::Start(std::move(options));
  ASSERT_TRUE(started.ok());
  server_ = std::move(started).value();
  httplib::Result res = PostGithub("push", kGithubBody, Sign(kSecret, kGithubBody));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Body(res), Json::parse(R"({"triggered":[]})"));
}

TEST_F(WebhookServerTest, BadOrMissingSignatureIsRefused) {
  std::vector<std::string> signatures = {
      Sign("wrong-secret", kGithubBody),                  // wrong secret
      Sign(kSecret, kGithubBody + " "),                   // signed another body
      Sign(kSecret, kGithubBody).substr(7),               // no "sha256=" prefix
      Sign(kSecret, kGithubBody).substr(0, 40),           // truncated
      "",                                                 // missing
  };
  for (const std::string& signature : signatures) {
    httplib::Result res = PostGithub("push", kGithubBody, signature);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 401) << signature;
    EXPECT_TRUE(Body(res).contains("error")) << res->body;
  }
  EXPECT_TRUE(Pushes().empty()) << "on_push must not run for an unauthenticated delivery";
  // A ping must be authenticated too.
  httplib::Result ping = PostGithub("ping", R"({"zen":"Design for failure."})", "");
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->status, 401);
}

TEST_F(WebhookServerTest, SignedPingPongs) {
  std::string body = R"({"zen":"Design for failure.","hook_id":1,"hook":{"type":"Repository","events":["push"]}})";
  httplib::Result res = PostGithub("ping", body, Sign(kSecret, body));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Body(res), Json::parse(R"({"pong":true})"));
  EXPECT_TRUE(Pushes().empty());
}

TEST_F(WebhookServerTest, OtherEventsAreIgnored) {
  std::string body = R"({"action":"opened","number":7})";
  httplib::Result res = PostGithub("pull_request", body, Sign(kSecret, body));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Body(res), Json::parse(R"({"ignored":"pull_request"})"));
  EXPECT_TRUE(Pushes().empty());
}

TEST_F(WebhookServerTest, GitlabTokenGoodAndBad) {
  httplib::Headers good = {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", kSecret}};
  httplib::Result res = Client().Post("/hooks/git", good, kGitlabBody, "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Body(res), Json::parse(R"({"triggered":["prod-prod"]})"));
  ASSERT_EQ(Pushes().size(), 1u);
  EXPECT_EQ(Pushes()[0].provider, "gitlab");
  EXPECT_EQ(Pushes()[0].branch, "prod");
  EXPECT_EQ(Pushes()[0].repo_full_name, "platform/deploy");

  for (const httplib::Headers& bad :
       {httplib::Headers{{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "webhook-s3cre"}},
        httplib::Headers{{"X-Gitlab-Event", "Push Hook"}},
        // A signature, when present, is checked even though the token is right.
        httplib::Headers{{"X-Gitlab-Event", "Push Hook"},
                         {"X-Gitlab-Token", kSecret},
                         {"X-Hub-Signature-256", Sign("wrong", kGitlabBody)}}}) {
    httplib::Result r = Client().Post("/hooks/git", bad, kGitlabBody, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->body;
  }
  EXPECT_EQ(Pushes().size(), 1u) << "refused deliveries must not reach on_push";

  // GitLab with a signature instead of a token.
  httplib::Headers signed_headers = {{"X-Gitlab-Event", "Push Hook"},
                                     {"X-Hub-Signature-256", Sign(kSecret, kGitlabBody)}};
  httplib::Result s = Client().Post("/hooks/git", signed_headers, kGitlabBody, "application/json");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 202);
  EXPECT_EQ(Pushes().size(), 2u);
}

TEST_F(WebhookServerTest, GithubTokenAloneIsNotEnough) {
  httplib::Headers headers = {{"X-GitHub-Event", "push"}, {"X-Gitlab-Token", kSecret}};
  httplib::Result res = Client().Post("/hooks/git", headers, kGithubBody, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_TRUE(Pushes().empty());
}

TEST_F(WebhookServerTest, FormEncodedGithubDelivery) {
  std::string body = "payload=" + FormEncode(kGithubBody);
  httplib::Headers headers = {{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", Sign(kSecret, body)}};
  httplib::Result res = Client().Post("/hooks/git", headers, body, "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202) << res->body;
  ASSERT_EQ(Pushes().size(), 1u);
  EXPECT_EQ(Pushes()[0].branch, "main");
}

TEST_F(WebhookServerTest, MalformedPayloadsAreBadRequests) {
  std::string not_json = R"({"ref": "refs/heads/main")";
  httplib::Result res = PostGithub("push", not_json, Sign(kSecret, not_json));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(Body(res)["error"].get<std::string>().find("not JSON"), std::string::npos) << res->body;

  std::string no_ref = R"({"after":"abc"})";
  res = PostGithub("push", no_ref, Sign(kSecret, no_ref));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(Body(res)["error"].get<std::string>().find("ref"), std::string::npos) << res->body;

  // Signed, but says neither GitHub nor GitLab.
  httplib::Headers headers = {{"X-Hub-Signature-256", Sign(kSecret, kGithubBody)}};
  res = Client().Post("/hooks/git", headers, kGithubBody, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(Pushes().empty());
}

TEST_F(WebhookServerTest, WrongPathAndMethod) {
  httplib::Result res = Client().Post("/hooks/github", kGithubBody, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(Body(res).contains("error"));

  res = Client().Get("/hooks/git");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_EQ(res->get_header_value("Allow"), "POST");
  EXPECT_TRUE(Body(res).contains("error"));

  res = Client().Put("/hooks/git", kGithubBody, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 405);
  EXPECT_TRUE(Pushes().empty());
  std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "POST /hooks/github 404 - -");
  EXPECT_EQ(log[1], "GET /hooks/git 405 - -");
}

TEST_F(WebhookServerTest, OversizedBodyIsRefused) {
  StartServer(1024);
  std::string big = R"({"ref":"refs/heads/main","pad":")" + std::string(4096, 'x') + "\"}";
  httplib::Result res = PostGithub("push", big, Sign(kSecret, big));
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_NE(Body(res)["error"].get<std::string>().find("1024"), std::string::npos) << res->body;
  EXPECT_TRUE(Pushes().empty());
  ASSERT_EQ(Log().size(), 1u);
  EXPECT_EQ(Log()[0], "POST /hooks/git 413 github -");
  // A body under the limit still goes through on the same server.
  res = PostGithub("push", kGithubBody, Sign(kSecret, kGithubBody));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
}

TEST_F(WebhookServerTest, ShutdownClosesThePort) {
  int port = server_->port();
  server_->Shutdown();
  server_->Shutdown();  // idempotent
  httplib::Client client("127.0.0.1", port);
  httplib::Result res = client.Post("/hooks/git", kGithubBody, "application/json");
  EXPECT_FALSE(res) << "the server still answered after Shutdown";
  EXPECT_TRUE(Pushes().empty());
}

TEST(WebhookServerStart, RefusesBadOptionsAndTakenPorts) {
  WebhookOptions no_secret;
  EXPECT_TRUE(WebhookServer::Start(no_secret).status().IsInvalidArgument());

  for (const char* listen : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":8080", "127.0.0.1:"}) {
    WebhookOptions options;
    options.secret = kSecret;
    options.listen = listen;
    EXPECT_TRUE(WebhookServer::Start(options).status().IsInvalidArgument()) << listen;
  }

  WebhookOptions first;
  first.secret = kSecret;
  Result<std::unique_ptr<WebhookServer>> a = WebhookServer::Start(first);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  WebhookOptions second;
  second.secret = kSecret;
  second.listen = "127.0.0.1:" + std::to_string((*a)->port());
  Result<std::unique_ptr<WebhookServer>> b = WebhookServer::Start(second);
  EXPECT_TRUE(b.status().IsUnavailable()) << b.status().ToString();
}

TEST(WebhookServerStart, StartThenShutdownAtOnce) {
  // Shutdown right after Start must return (httplib's stop() is a no-op before its loop runs).
  for (int i = 0; i < 20; ++i) {
    WebhookOptions options;
    options.secret = kSecret;
    Result<std::unique_ptr<WebhookServer>> s = WebhookServer::Start(options);
    ASSERT_TRUE(s.ok());
  }
}

}  // namespace
}  // namespace gorch::engine
