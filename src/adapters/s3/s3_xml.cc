#include "adapters/s3/s3_xml.h"

#include <expat.h>

#include <algorithm>
#include <memory>

namespace shoebox::s3 {
namespace {

struct TreeBuilder {
  XmlElement root;
  std::vector<XmlElement*> open;  // the path from the root to the element being read
  bool has_root = false;
  bool refused = false;
};

std::string_view LocalName(const XML_Char* name) {
  std::string_view full(name);
  std::size_t colon = full.rfind(':');
  return colon == std::string_view::npos ? full : full.substr(colon + 1);
}

void OnStart(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto* builder = static_cast<TreeBuilder*>(data);
  if (builder->open.empty()) {
    builder->root.name = LocalName(name);
    builder->has_root = true;
    builder->open.push_back(&builder->root);
    return;
  }
  XmlElement& parent = *builder->open.back();
  parent.children.push_back(XmlElement{std::string(LocalName(name)), {}, {}});
  builder->open.push_back(&parent.children.back());
}

void OnEnd(void* data, const XML_Char* /*name*/) {
  auto* builder = static_cast<TreeBuilder*>(data);
  if (!builder->open.empty()) builder->open.pop_back();
}

void OnText(void* data, const XML_Char* text, int length) {
  auto* builder = static_cast<TreeBuilder*>(data);
  if (!builder->open.empty())
    builder->open.back()->text.append(text, static_cast<std::size_t>(length));
}

void OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<TreeBuilder*>(data)->refused = true;
}

}  // namespace

const XmlElement* XmlElement::Find(std::string_view child) const {
  for (const XmlElement& element : children) {
    if (element.name == child) return &element;
  }
  return nullptr;
}

std::string XmlElement::Text(std::string_view child) const {
  const XmlElement* element = Find(child);
  return element == nullptr ? std::string() : element->text;
}

std::vector<const XmlElement*> XmlElement::All(std::string_view child) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& element : children) {
    if (element.name == child) out.push_back(&element);
  }
  return out;
}

Result<XmlElement> ParseXml(std::string_view document) {
  // S3 may send spaces while it works on a CompleteMultipartUpload, before the document itself.
  document.remove_prefix(std::min(document.size(), document.find_first_not_of(" \t\r\n")));
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                      &XML_ParserFree);
  if (!parser) return MakeError(ErrorCode::kInternal, "out of memory for the XML parser");
  TreeBuilder builder;
  XML_SetUserData(parser.get(), &builder);
  XML_SetElementHandler(parser.get(), &OnStart, &OnEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), &OnDoctype);
  // `open` holds pointers into `children` vectors: safe, since only the innermost open element
  // gains children, and no open element is in a vector that grows.
  bool ok = XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), XML_TRUE) ==
            XML_STATUS_OK;
  if (builder.refused) return MakeError(ErrorCode::kInternal, "XML with a DOCTYPE refused");
  if (!ok || !builder.has_root) {
    return MakeError(ErrorCode::kInternal, std::string("malformed XML from the store: ") +
                                               XML_ErrorString(XML_GetErrorCode(parser.get())));
  }
  return std::move(builder.root);
}

}  // namespace shoebox::s3
