package hub

// Services are the hub's services, as one value: storage builds it
// (postgres.NewServices) and the transports take what they need from it.
type Services struct {
	Auth       AuthService
	Sessions   SessionService
	Catalogue  CatalogueService
	Values     ValueService
	Workflow   WorkflowService
	Audit      AuditService
	Submit     SubmitService
	Validation ValidationService
	Access     AccessService
	Media      MediaService
	Analytics  AnalyticsService
	Users      UserService
	Tokens     TokenService
}
