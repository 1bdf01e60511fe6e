// Directory and in-memory sources: listing order, hidden directories, reads and
// their limits, and the names they give files in messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gorch/compiler/source.h"

namespace fs = std::filesystem;

namespace gorch::compiler {
namespace {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("gorch-source-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void Write(const std::string& rel, const std::string& content) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary) << content;
  }

 private:
  fs::path path_;
};

TEST(DirectorySourceTest, ListsRegularFilesSortedAndSkipsHiddenDirectories) {
  TempDir dir;
  for (const char* f : {"b.yaml", "a/z.yml", "a/b/c.json", "A.yaml", "main.jsonnet", "lib/x.libsonnet", "README.md",
                        ".hidden.yaml", ".git/config", ".git/objects/ab/cdef", ".gorch/state.yaml",
                        "app/.cache/x.yaml"})
    dir.Write(f, "kind: X\n");
  fs::create_directory_symlink(dir.path() / "a", dir.path() / "link-to-dir");
  fs::create_symlink(dir.path() / "b.yaml", dir.path() / "link.yaml");

  auto source = OpenDirectorySource(dir.path().string());
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto files = (*source)->ListFiles();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(*files, (std::vector<std::string>{".hidden.yaml", "A.yaml", "README.md", "a/b/c.json", "a/z.yml",
                                              "b.yaml", "lib/x.libsonnet", "link.yaml", "main.jsonnet"}));
  EXPECT_EQ((*source)->commit(), "");
  // Hidden directories are not listed, but can be read (a Jsonnet import may live there).
  auto hidden = (*source)->ReadFile(".gorch/state.yaml", 100);
  ASSERT_TRUE(hidden.ok());
  EXPECT_EQ(*hidden, "kind: X\n");
}

TEST(DirectorySourceTest, ReadFileContractAndLimits) {
  TempDir dir;
  dir.Write("a/f.yaml", "0123456789");
  auto source = OpenDirectorySource(dir.path().string() + "/");
  ASSERT_TRUE(source.ok());
  const Source& s = **source;
  auto ok = s.ReadFile("a/f.yaml", 10);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "0123456789");

  auto big = s.ReadFile("a/f.yaml", 9);
  EXPECT_TRUE(big.status().IsResourceExhausted());
  EXPECT_EQ(big.status().message(), dir.path().string() + "/a/f.yaml is 10 bytes, over the limit of 9 bytes");

  EXPECT_TRUE(s.ReadFile("a/missing.yaml", 100).status().IsNotFound());
  EXPECT_TRUE(s.ReadFile("a", 100).status().IsNotFound());  // a directory
  EXPECT_TRUE(s.ReadFile("../etc/passwd", 100).status().IsInvalidArgument());
  EXPECT_TRUE(s.ReadFile("/etc/passwd", 100).status().IsInvalidArgument());
  EXPECT_TRUE(s.ReadFile("a/./f.yaml", 100).status().IsInvalidArgument());
}

TEST(DirectorySourceTest, NamesFilesAsTheUserWroteTheDirectory) {
  TempDir dir;
  dir.Write("x.yaml", "");
  auto source = OpenDirectorySource(dir.path().string() + "//");
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->DisplayName(), dir.path().string());
  EXPECT_EQ((*source)->DisplayPath("sub/x.yaml"), dir.path().string() + "/sub/x.yaml");

  fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path());
  auto here = OpenDirectorySource(".");
  fs::current_path(old_cwd);
  ASSERT_TRUE(here.ok());
  EXPECT_EQ((*here)->DisplayPath("sub/x.yaml"), "sub/x.yaml");
}

TEST(DirectorySourceTest, OpenErrors) {
  TempDir dir;
  dir.Write("file.yaml", "");
  auto missing = OpenDirectorySource((dir.path() / "nope").string());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().message(), "no such directory: " + (dir.path() / "nope").string());
  auto file = OpenDirectorySource((dir.path() / "file.yaml").string());
  EXPECT_TRUE(file.status().IsInvalidArgument());
}

TEST(MemorySourceTest, ServesItsFiles) {
  auto source = MakeMemorySource({{"b.yaml", "b"}, {"a/.hidden/x.yaml", "h"}, {"a/c.yaml", "12345"}}, "mem/");
  auto files = source->ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"a/c.yaml", "b.yaml"}));
  EXPECT_EQ(*source->ReadFile("a/.hidden/x.yaml", 10), "h");
  EXPECT_TRUE(source->ReadFile("a/c.yaml", 4).status().IsResourceExhausted());
  EXPECT_TRUE(source->ReadFile("zzz", 4).status().IsNotFound());
  EXPECT_EQ(source->DisplayPath("b.yaml"), "mem/b.yaml");
}

}  // namespace
}  // namespace gorch::compiler
