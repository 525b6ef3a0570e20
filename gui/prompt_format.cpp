#include "gui/prompt_format.h"

#include <QObject>

#include "util/error.h"

namespace pareto::gui {

std::vector<PromptFormat> prompt_formats(const Model*) {
    return {{QStringLiteral("plain"), QObject::tr("Plain text"),
             QObject::tr("The prompt is continued as it is; chat templates come with HuggingFace support")}};
}

std::string apply_prompt_format(const QString& id, const Model&, const std::string& user_text) {
    if (id == QLatin1String("plain")) return user_text;
    fail("unknown prompt format '" + id.toStdString() + "'");
}

}  // namespace pareto::gui
