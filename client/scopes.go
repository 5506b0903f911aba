package client

// The MindPeeker OAuth scopes.
const (
	ScopeRemoteViewingRead   = "remote-viewing:read"
	ScopeRemoteViewingWrite  = "remote-viewing:write"
	ScopeRemoteViewingDelete = "remote-viewing:delete"
	ScopeRemoteViewingAdmin  = "remote-viewing:admin"
	ScopeDowsingRead         = "dowsing:read"
	ScopeDowsingWrite        = "dowsing:write"
	ScopeDowsingDelete       = "dowsing:delete"
	ScopeDowsingAdmin        = "dowsing:admin"
	ScopeAnalyticsRead       = "analytics:read"
	ScopeAnalyticsExport     = "analytics:export"
	ScopeAnalyticsAdmin      = "analytics:admin"
	ScopeProfile             = "profile"
	ScopeEmail               = "email"
	ScopeOrganizationsRead   = "organizations:read"
	ScopeOrganizationsWrite  = "organizations:write"
)

// BasicScopes is basic application access: read sessions and the user profile.
func BasicScopes() []string { return []string{ScopeRemoteViewingRead, ScopeProfile} }

// FullScopes is full application access: sessions, dowsing, analytics and profile.
func FullScopes() []string {
	return []string{ScopeRemoteViewingRead, ScopeRemoteViewingWrite, ScopeDowsingRead,
		ScopeDowsingWrite, ScopeAnalyticsRead, ScopeProfile}
}

// AdminScopes is administrative access.
func AdminScopes() []string {
	return []string{ScopeRemoteViewingAdmin, ScopeDowsingAdmin, ScopeAnalyticsAdmin, ScopeOrganizationsWrite}
}
