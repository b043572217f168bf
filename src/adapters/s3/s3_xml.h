// A small element tree for the XML documents S3 answers with (listings, upload ids, errors),
// parsed by expat. Only elements and their text: attributes, comments and namespaces are dropped,
// which is all S3's responses need.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace shoebox::s3 {

struct XmlElement {
  std::string name;  // as written, without a namespace prefix
  std::string text;  // the character data directly inside this element
  std::vector<XmlElement> children;

  // The first child named `child`, or nullptr.
  const XmlElement* Find(std::string_view child) const;
  // The text of the first child named `child`, or "" when there is none.
  std::string Text(std::string_view child) const;
  // Every child named `child`, in document order.
  std::vector<const XmlElement*> All(std::string_view child) const;
};

// The root element of `document`; kInternal when it is not well-formed XML. Documents with a
// DOCTYPE are refused (S3 never sends one; entity tricks start there).
Result<XmlElement> ParseXml(std::string_view document);

}  // namespace shoebox::s3
