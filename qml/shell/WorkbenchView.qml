import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The desktop workbench: sidebar, the current page, the status bar.
Item {
    id: root
    required property Workbench workbench
    readonly property var pageIds: ["model", "compress", "playground", "profile", "runs"]

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Sidebar {
            Layout.fillHeight: true
            workbench: root.workbench
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            StackLayout {
                id: pages
                objectName: "pages"
                Layout.fillWidth: true
                Layout.fillHeight: true
                currentIndex: Math.max(0, root.pageIds.indexOf(root.workbench.page))

                ModelPage { workbench: root.workbench }
                CompressPage { workbench: root.workbench }
                PlaygroundPage { workbench: root.workbench }
                ProfilePage { workbench: root.workbench }
                RunsPage { workbench: root.workbench }
            }

            StatusBar {
                Layout.fillWidth: true
                workbench: root.workbench
            }
        }
    }
}
