// LoadSchemaDir and LoadSchemas against real files in a temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gorch/lang/types.h"

namespace gorch::lang {
namespace {

namespace fs = std::filesystem;

class LoadersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gorch_lang_loaders_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string Errors(const Diagnostics& diags) {
    std::string out;
    for (const auto& d : diags.all()) out += d.ToString() + "\n";
    return out;
  }
  fs::path dir_;
};

TEST_F(LoadersTest, UserKindsJoinTheBuiltins) {
  Write("crd.gorch", "kind Widget \"example.com/v1\" {\n  spec?: WidgetSpec\n}\n");
  Write("nested/types.gorch", "type WidgetSpec = { size?: Quantity, owner?: ref<ConfigMap> }\n");
  Write("README.md", "not a schema {{{");
  Diagnostics diags;
  auto set = LoadSchemas({dir_.string()}, diags);
  ASSERT_NE(set, nullptr) << Errors(diags);
  const KindSchema* widget = set->Find("example.com/v1", "Widget");
  ASSERT_NE(widget, nullptr);
  const Type* spec = widget->body->FindField("spec")->type;
  EXPECT_EQ(spec->FindField("size")->type->kind, TypeKind::kQuantity);
}

TEST_F(LoadersTest, ErrorsNameTheUsersFile) {
  Write("bad.gorch", "type A = {\n  x: Nope\n}\n");
  Diagnostics diags;
  auto set = LoadSchemas({dir_.string()}, diags);
  EXPECT_EQ(set, nullptr);
  ASSERT_EQ(diags.all().size(), 1u) << Errors(diags);
  EXPECT_EQ(diags.all()[0].ToString(), (dir_ / "bad.gorch").string() +
                                           ":2:6: error[schema]: unknown type 'Nope'");
}

TEST_F(LoadersTest, MissingDirectory) {
  SchemaSet set;
  Diagnostics diags;
  EXPECT_FALSE(LoadSchemaDir(set, (dir_ / "nope").string(), diags));
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_THAT(diags.all()[0].message, ::testing::HasSubstr("does not exist"));
}

TEST_F(LoadersTest, FilesLoadInSortedOrder) {
  Write("b.gorch", "type T = int\n");
  Write("a.gorch", "type T = string\n");
  SchemaSet set;
  Diagnostics diags;
  LoadSchemaDir(set, dir_.string(), diags);
  ASSERT_EQ(diags.error_count(), 1u);
  // a.gorch is read first, so b.gorch holds the duplicate.
  EXPECT_THAT(diags.all()[0].ToString(), ::testing::HasSubstr("b.gorch:1:6: error[schema]: duplicate type 'T'"));
}

}  // namespace
}  // namespace gorch::lang
