#include "gui/recent_models.h"

#include <QDir>
#include <QFileInfo>

namespace pareto::gui {

RecentModels::RecentModels(QSettings* settings, QObject* parent) : QAbstractListModel(parent), settings_(settings) {
    for (const QString& p : settings_->value(kKey).toStringList())
        if (!p.isEmpty() && !paths_.contains(p) && paths_.size() < kMaxEntries) paths_.append(p);
}

void RecentModels::add(const QString& path) {
    if (path.isEmpty()) return;
    const QString abs = QFileInfo(path).absoluteFilePath();
    beginResetModel();
    paths_.removeAll(abs);
    paths_.prepend(abs);
    while (paths_.size() > kMaxEntries) paths_.removeLast();
    endResetModel();
    save();
    emit countChanged();
}

void RecentModels::remove(const QString& path) {
    const int i = paths_.indexOf(path);
    if (i < 0) return;
    beginRemoveRows({}, i, i);
    paths_.removeAt(i);
    endRemoveRows();
    save();
    emit countChanged();
}

void RecentModels::clear() {
    if (paths_.isEmpty()) return;
    beginResetModel();
    paths_.clear();
    endResetModel();
    save();
    emit countChanged();
}

void RecentModels::refresh() {
    if (!paths_.isEmpty()) emit dataChanged(index(0), index(count() - 1), {ExistsRole, SizeRole});
}

void RecentModels::save() {
    settings_->setValue(kKey, paths_);
    settings_->sync();
}

int RecentModels::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant RecentModels::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const QString& path = paths_[index.row()];
    const QFileInfo fi(path);
    switch (role) {
    case Qt::DisplayRole:
    case FileNameRole: return fi.fileName();
    case PathRole: return path;
    case FolderRole: return QDir::toNativeSeparators(fi.absolutePath());
    case ExistsRole: return fi.exists();
    case SizeRole: return fi.exists() ? fi.size() : qint64{-1};
    }
    return {};
}

QHash<int, QByteArray> RecentModels::roleNames() const {
    return {{PathRole, "path"}, {FileNameRole, "fileName"}, {FolderRole, "folder"}, {ExistsRole, "exists"},
            {SizeRole, "size"}};
}

}  // namespace pareto::gui
