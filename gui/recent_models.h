#pragma once
// The models opened lately, most recent first, kept in QSettings ("recentModels")
// so the first-run screen can offer them again after a restart.
#include <QAbstractListModel>
#include <QSettings>
#include <QStringList>
#include <QtQml/qqmlregistration.h>

namespace pareto::gui {

class RecentModels : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the Workbench")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role { PathRole = Qt::UserRole + 1, FileNameRole, FolderRole, ExistsRole, SizeRole };
    static constexpr int kMaxEntries = 8;
    static constexpr const char* kKey = "recentModels";

    // Reads the list from `settings` (not owned; it must outlive this model).
    explicit RecentModels(QSettings* settings, QObject* parent = nullptr);

    int count() const { return static_cast<int>(paths_.size()); }
    QStringList paths() const { return paths_; }

    // Puts `path` (made absolute) first, dropping an older entry of the same file
    // and the oldest beyond kMaxEntries; saves.
    Q_INVOKABLE void add(const QString& path);
    Q_INVOKABLE void remove(const QString& path);
    Q_INVOKABLE void clear();
    // Re-reads which entries still exist (files move).
    Q_INVOKABLE void refresh();

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

signals:
    void countChanged();

private:
    void save();

    QSettings* settings_;
    QStringList paths_;
};

}  // namespace pareto::gui
