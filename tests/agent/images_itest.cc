// Local OCI images (images.h): the archives are well-formed and deterministic,
// import into a private containerd, and run.
#include "gorch/agent/images.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gorch/agent/containerd.h"
#include "import_assertion.h"

namespace gorch::agent {
namespace {
namespace fs = std::filesystem;

class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/bin/busybox", R_OK) != 0) GTEST_SKIP() << "no /bin/busybox (busybox-static)";
    char tmpl[] = "/tmp/gorch-images-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  // `tar -tvf` of an archive written to a file: checks the archive with a real tar.
  std::string TarList(const std::string& archive) {
    fs::path file = dir_ / "list.tar";
    std::ofstream(file, std::ios::binary) << archive;
    auto run = RunCommand({"/bin/tar", "-tvf", file.string()}, std::chrono::seconds(30));
    EXPECT_TRUE(run.ok());
    EXPECT_EQ(run->exit_code, 0) << run->output;
    return run->output;
  }
  std::string TarExtract(const std::string& archive, const std::string& member) {
    fs::path file = dir_ / "x.tar";
    std::ofstream(file, std::ios::binary) << archive;
    auto run = RunCommand({"/bin/tar", "-xOf", file.string(), member}, std::chrono::seconds(30));
    EXPECT_TRUE(run.ok());
    EXPECT_EQ(run->exit_code, 0) << run->output;
    return run->output;
  }
  fs::path dir_;
};

TEST_F(ImagesTest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(ImagesTest, TarWriterWritesWhatTarReads) {
  TarWriter tar;
  ASSERT_TRUE(tar.AddDirectory("d").ok());
  ASSERT_TRUE(tar.AddFile("d/f.txt", "hello\n", 0600).ok());
  ASSERT_TRUE(tar.AddSymlink("d/l", "f.txt").ok());
  std::string longname = std::string(120, 'a') + "/" + std::string(90, 'b');
  ASSERT_TRUE(tar.AddFile(longname, "x").ok());
  EXPECT_TRUE(tar.AddFile(std::string(300, 'c'), "x").IsInvalidArgument());
  std::string archive = tar.Finish();
  EXPECT_EQ(archive.size() % 512, 0u);
  std::string list = TarList(archive);
  EXPECT_NE(list.find("drwxr-xr-x root/root"), std::string::npos) << list;
  EXPECT_NE(list.find("-rw------- root/root         6 1970-01-01 00:00 d/f.txt"), std::string::npos) << list;
  EXPECT_NE(list.find("d/l -> f.txt"), std::string::npos) << list;
  EXPECT_NE(list.find(longname), std::string::npos) << list;
  EXPECT_EQ(TarExtract(archive, "d/f.txt"), "hello\n");
}

TEST_F(ImagesTest, ImageArchivesAreDeterministicAndConsistent) {
  auto layer = BuildBusyboxLayer();
  ASSERT_TRUE(layer.ok()) << layer.status().ToString();
  auto again = BuildBusyboxLayer();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Sha256Hex(*layer), Sha256Hex(*again)) << "same busybox, same layer digest";
  std::string list = TarList(*layer);
  EXPECT_NE(list.find("bin/busybox"), std::string::npos);
  for (const char* applet : {"sh", "sleep", "httpd", "echo", "cat", "wget", "nc"}) {
    EXPECT_NE(list.find(std::string("bin/") + applet + " -> busybox"), std::string::npos) << applet;
  }

  auto archive = BuildImageArchive(PauseImageSpec(), *layer);
  ASSERT_TRUE(archive.ok());
  auto archive2 = BuildImageArchive(PauseImageSpec(), *again);
  ASSERT_TRUE(archive2.ok());
  EXPECT_EQ(*archive, *archive2);

  auto index = nlohmann::json::parse(TarExtract(*archive, "index.json"));
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "localhost/pause:1");
  std::string manifest_digest = index["manifests"][0]["digest"];
  std::string manifest_blob = TarExtract(*archive, "blobs/sha256/" + manifest_digest.substr(7));
  EXPECT_EQ("sha256:" + Sha256Hex(manifest_blob), manifest_digest);
  auto manifest = nlohmann::json::parse(manifest_blob);
  std::string config_digest = manifest["config"]["digest"];
  auto config = nlohmann::json::parse(TarExtract(*archive, "blobs/sha256/" + config_digest.substr(7)));
  EXPECT_EQ(config["rootfs"]["diff_ids"][0], "sha256:" + Sha256Hex(*layer));
  EXPECT_EQ(manifest["layers"][0]["digest"], "sha256:" + Sha256Hex(*layer));
  EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json({"/bin/sleep", "2147483647"}));
  EXPECT_EQ(TarExtract(*archive, "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
}

TEST_F(ImagesTest, MissingBusyboxIsAClearError) {
  auto layer = BuildBusyboxLayer(dir_ / "no-busybox");
  ASSERT_FALSE(layer.ok());
  EXPECT_TRUE(layer.status().IsNotFound());
  EXPECT_NE(layer.status().message().find("busybox-static"), std::string::npos);
}

TEST_F(ImagesTest, ImportedImagesRun) {
  if (access("/usr/bin/containerd", X_OK) != 0 || geteuid() != 0) GTEST_SKIP() << "needs containerd and root";
  ContainerdOptions options;
  options.dir = dir_ / "ctrd";
  auto c = PrivateContainerd::Start(options);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(Imported((*c)->Endpoint()));
  const std::string socket = (*c)->SocketPath();
  auto images = RunCtr(socket, {"-n", "k8s.io", "images", "ls"});
  ASSERT_TRUE(images.ok());
  EXPECT_NE(images->find("localhost/busybox:1"), std::string::npos) << *images;
  EXPECT_NE(images->find("localhost/pause:1"), std::string::npos) << *images;

  // The busybox image runs its applets.
  auto out = RunCtr(socket, {"-n", "k8s.io", "run", "--rm", "localhost/busybox:1", "gorch-images-" + std::to_string(getpid()),
                             "sh", "-c", "echo hello from $(cat /etc/passwd | head -1 | cut -d: -f1)"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find("hello from root"), std::string::npos) << *out;
  EXPECT_TRUE((*c)->Stop().ok());
}

}  // namespace
}  // namespace gorch::agent
