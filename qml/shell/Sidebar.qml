import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// Navigation: the wordmark, one entry per page, and the open model at the bottom.
Rectangle {
    id: root
    required property Workbench workbench
    readonly property var icons: ({ model: "model", compress: "compress", playground: "playground", profile: "profile", runs: "runs" })

    objectName: "sidebar"
    implicitWidth: 232
    color: Theme.sidebar

    Rectangle { anchors { right: parent.right; top: parent.top; bottom: parent.bottom } width: 1; color: Theme.border }

    ColumnLayout {
        anchors { fill: parent; margins: 12; topMargin: 18 }
        spacing: 4

        RowLayout {  // wordmark
            Layout.leftMargin: 6
            Layout.bottomMargin: 18
            spacing: 10
            Rectangle {
                width: 30; height: 30; radius: 8
                gradient: Gradient {
                    orientation: Gradient.Horizontal
                    GradientStop { position: 0; color: Theme.accent }
                    GradientStop { position: 1; color: Theme.teal }
                }
                Icon { anchors.centerIn: parent; name: "pareto"; color: "#0e1015"; size: 20; lineWidth: 2.4 }
            }
            ColumnLayout {
                spacing: 0
                Text { text: "Pareto"; color: Theme.text; font.pixelSize: 17; font.weight: Font.Bold }
                Text { text: qsTr("LLM workbench"); color: Theme.textFaint; font.pixelSize: Theme.fontXs }
            }
        }

        Repeater {
            model: root.workbench.pages
            NavItem {
                required property var modelData
                objectName: "nav_" + modelData.id
                Layout.fillWidth: true
                icon: root.icons[modelData.id]
                title: modelData.title
                subtitle: modelData.subtitle
                ready: modelData.ready
                current: root.workbench.page === modelData.id
                onClicked: root.workbench.page = modelData.id
            }
        }

        Item { Layout.fillHeight: true }

        // The open model, or how to get one.
        Rectangle {
            id: modelCard
            objectName: "sidebarModel"
            Layout.fillWidth: true
            implicitHeight: modelColumn.implicitHeight + 20
            radius: Theme.radius
            color: Theme.surface
            border.color: Theme.border
            readonly property ModelController mc: root.workbench.model
            ColumnLayout {
                id: modelColumn
                anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 12 }
                spacing: 4
                SectionLabel { text: qsTr("Model") }
                Text {
                    Layout.fillWidth: true
                    text: modelCard.mc.hasInfo ? modelCard.mc.displayName : qsTr("None open")
                    color: modelCard.mc.hasInfo ? Theme.text : Theme.textFaint
                    font.pixelSize: Theme.fontMd
                    font.weight: Font.Medium
                    elide: Text.ElideMiddle
                }
                RowLayout {
                    spacing: 6
                    Rectangle {
                        width: 8; height: 8; radius: 4
                        color: {
                            const m = modelCard.mc
                            if (m.loaded) return Theme.success
                            if (m.busy) return Theme.amber
                            if (m.state === ModelController.Failed) return Theme.danger
                            return Theme.textFaint
                        }
                    }
                    Text {
                        text: {
                            const m = modelCard.mc
                            switch (m.state) {
                            case ModelController.Loaded: return qsTr("Loaded · ctx %1").arg(m.loadedContext)
                            case ModelController.Loading: return qsTr("Loading…")
                            case ModelController.Inspecting: return qsTr("Reading…")
                            case ModelController.Ready: return qsTr("Not loaded")
                            case ModelController.Failed: return qsTr("Could not open")
                            }
                            return qsTr("Open one on the Model page")
                        }
                        color: Theme.textDim
                        font.pixelSize: Theme.fontXs
                    }
                }
            }
        }
    }
}
