//! The window's side of one exposure fixed everywhere (`jiesu_core::campaign`): clusters of
//! alike cases across the offices below, the rectification campaigns (专项整改) opened from
//! them, their boards and exports, and the sites an office adds itself.

use jiesu_core::campaign::{
    CampaignBoard, CampaignChange, CampaignSummary, Cluster, NewCampaign, NewSite,
};
use jiesu_core::*;
use tauri::State;
use uuid::Uuid;

use crate::AppState;
use crate::commands::{CmdResult, store};

/// 同类问题: clusters of alike cases across the offices this one sees, in the last `days`.
#[tauri::command]
pub async fn clusters(state: State<'_, AppState>, days: u32) -> CmdResult<Vec<Cluster>> {
    Ok(store(&state)?.clusters(days)?)
}

/// The campaigns this office sees, newest first, with their counts.
#[tauri::command]
pub async fn campaigns(state: State<'_, AppState>) -> CmdResult<Vec<CampaignSummary>> {
    Ok(store(&state)?.campaigns()?)
}

/// A campaign's board.
#[tauri::command]
pub async fn campaign_board(state: State<'_, AppState>, id: Uuid) -> CmdResult<CampaignBoard> {
    Ok(store(&state)?.campaign_board(id)?)
}

/// 发起专项整改: one item per office named, filed here and given to it.
#[tauri::command]
pub async fn open_campaign(
    state: State<'_, AppState>,
    form: NewCampaign,
) -> CmdResult<CampaignSummary> {
    Ok(store(&state)?.open_campaign(form)?)
}

/// 修改 / 延期 / 增加单位 / 结束整改 / 重新启动: the opener changes its campaign; the board after.
#[tauri::command]
pub async fn amend_campaign(
    state: State<'_, AppState>,
    change: CampaignChange,
) -> CmdResult<CampaignBoard> {
    Ok(store(&state)?.amend_campaign(change)?)
}

/// 添加点位: a site this office found itself.
#[tauri::command]
pub async fn add_campaign_site(state: State<'_, AppState>, site: NewSite) -> CmdResult<Case> {
    let mut s = store(&state)?;
    let case = s.add_campaign_site(site)?;
    Ok(s.shown(case)?)
}

/// 列入专项整改: an existing case becomes a site of a campaign.
#[tauri::command]
pub async fn join_campaign(
    state: State<'_, AppState>,
    case_id: Uuid,
    campaign: Uuid,
) -> CmdResult<Case> {
    let mut s = store(&state)?;
    let case = s.join_campaign(case_id, campaign)?;
    Ok(s.shown(case)?)
}

/// The board (问题清单, 整改清单, counts) as .xlsx into the exports folder.
#[tauri::command]
pub async fn export_campaign(state: State<'_, AppState>, id: Uuid) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_campaign_board(&state.exports, id)?)
}
