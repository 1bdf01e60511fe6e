// Unit tests of the pure half of the webhook: HMAC and token checks, push parsing.
#include "gorch/engine/webhook.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gorch::engine {
namespace {

// Known answers computed once with the OpenSSL CLI, e.g.
//   printf 'Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody"
// (the first one is also the example in GitHub's webhook documentation).
constexpr const char* kDocSecret = "It's a Secret to Everybody";
constexpr const char* kDocBody = "Hello, World!";
constexpr const char* kDocSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
constexpr const char* kEmptyBodySignature =
    "sha256=5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0";  // key "key", body ""

TEST(VerifyHubSignature256, AcceptsKnownAnswers) {
  EXPECT_TRUE(VerifyHubSignature256(kDocSecret, kDocBody, kDocSignature));
  EXPECT_TRUE(VerifyHubSignature256("key", "", kEmptyBodySignature));
}

TEST(VerifyHubSignature256, AcceptsUpperCaseHex) {
  std::string upper = kDocSignature;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifyHubSignature256(kDocSecret, kDocBody, upper));
}

TEST(VerifyHubSignature256, RejectsWrongSecretOrBody) {
  EXPECT_FALSE(VerifyHubSignature256("It's a secret to everybody", kDocBody, kDocSignature));
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, "Hello, World?", kDocSignature));
  EXPECT_FALSE(VerifyHubSignature256("", kDocBody, kDocSignature));
}

TEST(VerifyHubSignature256, RejectsMalformedHeaders) {
  std::string good = kDocSignature;
  std::string hex = good.substr(7);
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, hex)) << "no prefix";
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, "sha1=" + hex)) << "wrong prefix";
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, good.substr(0, good.size() - 2))) << "truncated";
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, good + "00")) << "too long";
  std::string non_hex = good;
  non_hex[10] = 'g';
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, non_hex)) << "non-hex";
  std::string flipped = good;
  flipped.back() = flipped.back() == '7' ? '8' : '7';
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, flipped)) << "one digit off";
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, "")) << "empty";
  EXPECT_FALSE(VerifyHubSignature256(kDocSecret, kDocBody, "sha256=")) << "prefix only";
}

TEST(VerifyGitlabToken, ComparesWholeToken) {
  EXPECT_TRUE(VerifyGitlabToken("s3cr3t", "s3cr3t"));
  EXPECT_FALSE(VerifyGitlabToken("s3cr3t", "s3cr3"));
  EXPECT_FALSE(VerifyGitlabToken("s3cr3t", "s3cr3t "));
  EXPECT_FALSE(VerifyGitlabToken("s3cr3t", ""));
  EXPECT_FALSE(VerifyGitlabToken("", ""));
}

// A GitHub push delivery, trimmed of commits but with the fields a real one carries.
constexpr const char* kGithubPush = R"json({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
  "repository": {
    "id": 186853002, "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
    "name": "deploy", "full_name": "acme/deploy", "private": true,
    "owner": {"name": "acme", "login": "acme", "id": 21031067, "type": "Organization"},
    "html_url": "https://github.com/acme/deploy",
    "description": null, "fork": false,
    "url": "https://github.com/acme/deploy",
    "git_url": "git://github.com/acme/deploy.git",
    "ssh_url": "git@github.com:acme/deploy.git",
    "clone_url": "https://github.com/acme/deploy.git",
    "svn_url": "https://github.com/acme/deploy",
    "homepage": "https://acme.example.com",
    "mirror_url": null,
    "default_branch": "main", "master_branch": "main"
  },
  "pusher": {"name": "octocat", "email": "octocat@example.com"},
  "sender": {"login": "octocat", "id": 1, "type": "User"},
  "created": false, "deleted": false, "forced": false, "base_ref": null,
  "compare": "https://github.com/acme/deploy/compare/6113728f27ae...59b20b8d5c6f",
  "commits": [{"id": "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5", "message": "scale web to 3",
               "timestamp": "2024-05-01T10:00:00Z", "author": {"name": "Octo", "email": "o@example.com"},
               "added": [], "removed": [], "modified": ["deploy/web.yaml"]}],
  "head_commit": {"id": "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5", "message": "scale web to 3"}
})json";

// A GitLab "Push Hook" delivery, trimmed of commits.
constexpr const char* kGitlabPush = R"json({
  "object_kind": "push", "event_name": "push",
  "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
  "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "ref": "refs/heads/release/v2",
  "ref_protected": true,
  "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
  "user_id": 4, "user_name": "John Smith", "user_username": "jsmith",
  "project_id": 15,
  "project": {
    "id": 15, "name": "deploy", "description": "",
    "web_url": "https://gitlab.example.com/platform/deploy",
    "avatar_url": null,
    "git_ssh_url": "git@gitlab.example.com:platform/deploy.git",
    "git_http_url": "https://gitlab.example.com/platform/deploy.git",
    "namespace": "platform", "visibility_level": 0,
    "path_with_namespace": "platform/deploy",
    "default_branch": "main",
    "homepage": "https://gitlab.example.com/platform/deploy",
    "url": "git@gitlab.example.com:platform/deploy.git",
    "ssh_url": "git@gitlab.example.com:platform/deploy.git",
    "http_url": "https://gitlab.example.com/platform/deploy.git"
  },
  "commits": [{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "message": "bump image",
               "timestamp": "2024-05-01T10:00:00+02:00", "author": {"name": "John", "email": "j@example.com"},
               "added": [], "modified": ["deploy/web.yaml"], "removed": []}],
  "total_commits_count": 1,
  "repository": {
    "name": "deploy", "url": "git@gitlab.example.com:platform/deploy.git", "description": "",
    "homepage": "https://gitlab.example.com/platform/deploy",
    "git_http_url": "https://gitlab.example.com/platform/deploy.git",
    "git_ssh_url": "git@gitlab.example.com:platform/deploy.git", "visibility_level": 0
  }
})json";

std::map<std::string, std::string> Github(const std::string& event) {
  return {{"x-github-event", event}, {"content-type", "application/json"}};
}
std::map<std::string, std::string> Gitlab(const std::string& event) {
  return {{"x-gitlab-event", event}, {"content-type", "application/json"}};
}

TEST(ParsePushEvent, GithubPush) {
  Result<PushEvent> push = ParsePushEvent(Github("push"), kGithubPush);
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ(push->provider, "github");
  EXPECT_EQ(push->ref, "refs/heads/main");
  EXPECT_EQ(push->branch, "main");
  EXPECT_EQ(push->after, "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5");
  EXPECT_FALSE(push->deleted);
  EXPECT_EQ(push->repo_full_name, "acme/deploy");
  // Every repository url, once each; the homepage (a website) and null mirror_url are not.
  EXPECT_EQ(push->repo_urls, (std::vector<std::string>{"https://github.com/acme/deploy.git",
                                                       "git@github.com:acme/deploy.git",
                                                       "https://github.com/acme/deploy",
                                                       "git://github.com/acme/deploy.git"}));
}

TEST(ParsePushEvent, GitlabPush) {
  Result<PushEvent> push = ParsePushEvent(Gitlab("Push Hook"), kGitlabPush);
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ(push->provider, "gitlab");
  EXPECT_EQ(push->branch, "release/v2") << "branch names keep their slashes";
  EXPECT_EQ(push->after, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(push->repo_full_name, "platform/deploy");
  EXPECT_EQ(push->repo_urls, (std::vector<std::string>{"https://gitlab.example.com/platform/deploy.git",
                                                       "git@gitlab.example.com:platform/deploy.git",
                                                       "https://gitlab.example.com/platform/deploy"}));
}

TEST(ParsePushEvent, TagPushesHaveNoBranch) {
  Result<PushEvent> github = ParsePushEvent(
      Github("push"), R"({"ref":"refs/tags/v1.2.0","after":"59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
                          "repository":{"full_name":"acme/deploy","clone_url":"https://github.com/acme/deploy.git"}})");
  ASSERT_TRUE(github.ok()) << github.status().ToString();
  EXPECT_EQ(github->ref, "refs/tags/v1.2.0");
  EXPECT_EQ(github->branch, "");
  EXPECT_EQ(github->repo_urls, std::vector<std::string>{"https://github.com/acme/deploy.git"});

  Result<PushEvent> gitlab = ParsePushEvent(
      Gitlab("Tag Push Hook"), R"({"object_kind":"tag_push","ref":"refs/tags/v1.2.0","after":"da15608",
                                   "project":{"path_with_namespace":"platform/deploy"}})");
  ASSERT_TRUE(gitlab.ok()) << gitlab.status().ToString();
  EXPECT_EQ(gitlab->branch, "");
  EXPECT_EQ(gitlab->after, "da15608");
}

TEST(ParsePushEvent, BranchDeletion) {
  Result<PushEvent> push = ParsePushEvent(
      Github("push"), R"({"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000","deleted":true})");
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(push->branch, "old");
  EXPECT_TRUE(push->deleted);
  Result<PushEvent> gitlab = ParsePushEvent(
      Gitlab("Push Hook"), R"({"ref":"refs/heads/old","after":"0000000000000000000000000000000000000000"})");
  ASSERT_TRUE(gitlab.ok());
  EXPECT_TRUE(gitlab->deleted);
}

TEST(ParsePushEvent, MissingAfterIsEmpty) {
  Result<PushEvent> push = ParsePushEvent(Github("push"), R"({"ref":"refs/heads/main"})");
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(push->after, "");
  EXPECT_FALSE(push->deleted);
  EXPECT_TRUE(push->repo_urls.empty());
}

TEST(ParsePushEvent, OtherEventsAreNotPushes) {
  for (const auto& headers : {Github("ping"), Github("pull_request"), Github("create"), Gitlab("Merge Request Hook"),
                              Gitlab("Pipeline Hook")}) {
    Result<PushEvent> r = ParsePushEvent(headers, kGithubPush);
    EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  }
  EXPECT_NE(ParsePushEvent(Github("pull_request"), "{}").status().message().find("pull_request"), std::string::npos);
}

TEST(ParsePushEvent, MalformedPayloadsNameTheProblem) {
  Result<PushEvent> not_json = ParsePushEvent(Github("push"), "{\"ref\": ");
  EXPECT_TRUE(not_json.status().IsInvalidArgument());
  EXPECT_NE(not_json.status().message().find("not JSON"), std::string::npos) << not_json.status().ToString();

  Result<PushEvent> array = ParsePushEvent(Github("push"), "[1,2]");
  EXPECT_TRUE(array.status().IsInvalidArgument());
  EXPECT_NE(array.status().message().find("object"), std::string::npos);

  for (const char* body : {R"({"after":"abc"})", R"({"ref":42})", R"({"ref":""})"}) {
    Result<PushEvent> no_ref = ParsePushEvent(Gitlab("Push Hook"), body);
    EXPECT_TRUE(no_ref.status().IsInvalidArgument()) << body;
    EXPECT_NE(no_ref.status().message().find("ref"), std::string::npos) << body;
  }

  Result<PushEvent> no_event = ParsePushEvent({{"content-type", "application/json"}}, kGithubPush);
  EXPECT_TRUE(no_event.status().IsInvalidArgument());
  EXPECT_NE(no_event.status().message().find("X-GitHub-Event"), std::string::npos);
}

TEST(ParsePushEvent, FormEncodedGithubDelivery) {
  std::map<std::string, std::string> headers = {{"x-github-event", "push"},
                                                {"content-type", "application/x-www-form-urlencoded"}};
  // payload={"ref":"refs/heads/feature x","after":"abc"} as a browser form would send it.
  std::string body = "foo=1&payload=%7B%22ref%22%3A%22refs%2Fheads%2Ffeature+x%22%2C%22after%22%3A%22abc%22%7D";
  Result<PushEvent> push = ParsePushEvent(headers, body);
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ(push->branch, "feature x");
  EXPECT_EQ(push->after, "abc");

  EXPECT_TRUE(ParsePushEvent(headers, "foo=1").status().IsInvalidArgument()) << "no payload field";
  EXPECT_TRUE(ParsePushEvent(headers, "payload=%7").status().IsInvalidArgument()) << "bad escape";
  EXPECT_TRUE(ParsePushEvent(headers, "payload=%7Bnope").status().IsInvalidArgument()) << "not JSON";
}

}  // namespace
}  // namespace gorch::engine
