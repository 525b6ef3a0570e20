// First, before Qt defines its emit macro (ReasoningSplitter has a method of that name).
#include "tokenizer/reasoning.h"
// clang-format off
#include "gui/chat_model.h"
// clang-format on

namespace pareto::gui {
namespace {
// R1 puts blank lines after </think> and around its reasoning: not worth showing.
std::string_view trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}
QString qs(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }
}  // namespace

bool ChatModel::promptOpensReasoning(std::string_view prompt) {
    return ReasoningSplitter::prompt_opens_reasoning(prompt);
}

ChatModel::ChatModel(QObject* parent) : QAbstractListModel(parent) {}
ChatModel::~ChatModel() = default;

int ChatModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant ChatModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Turn& t = turns_[static_cast<size_t>(index.row())];
    switch (role) {
    case RoleRole: return t.assistant ? QStringLiteral("assistant") : QStringLiteral("user");
    case Qt::DisplayRole:
    case TextRole: return t.assistant ? qs(trim(t.answer)) : qs(t.raw);
    case ReasoningRole: return qs(trim(t.reasoning));
    case ReasoningActiveRole: return t.reasoning_active;
    case StreamingRole: return t.streaming;
    case StatsRole: return t.stats;
    default: return {};
    }
}

QHash<int, QByteArray> ChatModel::roleNames() const {
    return {{RoleRole, "role"},           {TextRole, "text"},           {ReasoningRole, "reasoning"},
            {ReasoningActiveRole, "reasoningActive"}, {StreamingRole, "streaming"}, {StatsRole, "stats"}};
}

void ChatModel::changedLast(const QList<int>& roles) {
    const QModelIndex i = index(count() - 1);
    emit dataChanged(i, i, roles);
}

void ChatModel::addUser(const QString& text) {
    beginInsertRows({}, count(), count());
    turns_.push_back(Turn{.raw = text.toStdString()});
    endInsertRows();
    emit countChanged();
}

void ChatModel::beginAssistant(bool opens_reasoning) {
    splitter_ = std::make_unique<ReasoningSplitter>(opens_reasoning);
    beginInsertRows({}, count(), count());
    turns_.push_back(Turn{.assistant = true, .reasoning_active = opens_reasoning, .streaming = true});
    endInsertRows();
    emit countChanged();
}

void ChatModel::appendAssistant(std::string_view text) {
    if (!splitter_ || turns_.empty() || text.empty()) return;
    Turn& t = turns_.back();
    t.raw.append(text);
    splitter_->feed(text);
    t.reasoning = splitter_->reasoning();
    t.answer = splitter_->answer();
    t.reasoning_active = splitter_->in_reasoning();
    changedLast({TextRole, Qt::DisplayRole, ReasoningRole, ReasoningActiveRole});
}

void ChatModel::finishAssistant(const QString& stats) {
    if (!splitter_ || turns_.empty()) return;
    Turn& t = turns_.back();
    splitter_->finish();
    t.reasoning = splitter_->reasoning();
    t.answer = splitter_->answer();
    t.reasoning_active = false;
    t.streaming = false;
    t.stats = stats;
    splitter_.reset();
    changedLast({TextRole, Qt::DisplayRole, ReasoningRole, ReasoningActiveRole, StreamingRole, StatsRole});
}

QString ChatModel::dropFailedTurn() {
    splitter_.reset();
    QString user;
    int first = count();
    if (first > 0 && turns_.back().assistant) --first;
    if (first > 0 && !turns_[static_cast<size_t>(first - 1)].assistant) {
        --first;
        user = QString::fromStdString(turns_[static_cast<size_t>(first)].raw);
    }
    if (first == count()) return user;
    beginRemoveRows({}, first, count() - 1);
    turns_.resize(static_cast<size_t>(first));
    endRemoveRows();
    emit countChanged();
    return user;
}

void ChatModel::clear() {
    if (splitter_) return;  // not while a reply streams into it
    if (turns_.empty()) return;
    beginResetModel();
    turns_.clear();
    endResetModel();
    emit countChanged();
}

void ChatModel::reset() {
    splitter_.reset();
    if (turns_.empty()) return;
    beginResetModel();
    turns_.clear();
    endResetModel();
    emit countChanged();
}

std::vector<ChatMessage> ChatModel::messages() const {
    std::vector<ChatMessage> m;
    for (const Turn& t : turns_)
        if (!t.streaming) m.push_back({t.assistant ? "assistant" : "user", t.raw});
    return m;
}

}  // namespace pareto::gui
