package gen

// Word lists the names are made of. Every word is lower-case ASCII letters only,
// so any combination joined with '-' or '.' is a valid entity name and a valid
// tag. Do not add hyphens or digits here: the uniqueness argument in names.go
// relies on it, and on the lengths of lists used together being pairwise
// coprime (areas 61; functions 20; systemNouns 14; componentNouns 82;
// firstNames 87; lastNames 70).

var companies = []string{
	"globex", "initech", "hooli", "umbrella", "cyberdyne", "tyrell", "soylent",
	"wonka", "vandelay", "oscorp", "aperture", "massive", "nakatomi", "monarch",
}

// areas are business areas: department, domain, system and component prefixes.
var areas = []string{
	"accounts", "ads", "analytics", "billing", "booking", "catalog", "checkout",
	"claims", "compliance", "content", "crm", "delivery", "discovery", "fraud",
	"fulfilment", "growth", "identity", "insights", "inventory", "invoicing",
	"ledger", "logistics", "loyalty", "marketing", "media", "messaging", "maps", "music",
	"notifications", "onboarding", "orders", "partners", "payments", "payroll",
	"pricing", "procurement", "profiles", "promotions", "quotes", "ratings",
	"recommendations", "referrals", "refunds", "reporting", "reviews", "risk",
	"routing", "scheduling", "search", "security", "settlement", "shipping",
	"storefront", "subscriptions", "support", "tax", "ticketing", "travel",
	"trust", "warehouse", "wallet",
}

// functions are what a team does inside an area.
var functions = []string{
	"core", "platform", "web", "mobile", "data", "infra", "api", "experience",
	"reliability", "quality", "tooling", "integrations", "ml", "ops", "devices",
	"frontend", "backend", "observability", "foundations", "enablement",
}

var systemNouns = []string{
	"platform", "engine", "hub", "suite", "portal", "pipeline", "gateway",
	"backbone", "exchange", "workbench", "console", "mesh", "fabric", "studio",
}

var componentNouns = []string{
	"account", "address", "asset", "audit", "balance", "basket", "batch",
	"calendar", "campaign", "card", "cart", "case", "channel", "contract",
	"coupon", "credit", "customer", "dashboard", "device", "discount", "dispute",
	"document", "event", "export", "feed", "file", "forecast", "import",
	"incident", "invoice", "item", "job", "label", "ledger", "limit", "listing",
	"mandate", "merchant", "message", "metric", "offer", "order", "parcel",
	"partner", "payment", "payout", "plan", "policy", "price", "product",
	"profile", "quote", "rate", "receipt", "refund", "report", "request",
	"reservation", "review", "rule", "schedule", "score", "session", "shipment",
	"signal", "sku", "slot", "statement", "stock", "store", "survey", "task",
	"template", "ticket", "token", "transfer", "trip", "user", "vendor",
	"voucher", "webhook", "workflow",
}

var serviceRoles = []string{"service", "worker", "api", "processor", "scheduler", "sync", "gateway", "consumer"}
var websiteRoles = []string{"web", "portal", "ui", "admin", "dashboard"}
var libraryRoles = []string{"lib", "sdk", "client", "common", "proto"}

var resourceKinds = []struct{ typ, suffix, tech string }{
	{"database", "db", "postgres"},
	{"database", "store", "mysql"},
	{"database", "table", "dynamodb"},
	{"s3-bucket", "bucket", "s3"},
	{"queue", "queue", "sqs"},
	{"topic", "topic", "kafka"},
	{"cache", "cache", "redis"},
	{"search-index", "index", "elasticsearch"},
}

var firstNames = []string{
	"aaliyah", "adam", "aisha", "alejandro", "alex", "amara", "amelia", "ana",
	"andrei", "anna", "arjun", "ava", "ben", "bianca", "carlos", "caroline",
	"chen", "chloe", "daniel", "david", "diego", "elena", "eli", "emma", "erik",
	"fatima", "felix", "freya", "gabriel", "grace", "hana", "hannah", "hiro",
	"ibrahim", "ines", "isaac", "ivan", "jack", "jamal", "james", "jana", "jin",
	"joao", "jonas", "julia", "kai", "karim", "kate", "kenji", "laila", "lars",
	"leila", "leo", "liam", "lina", "lucas", "lucia", "maria", "mateo", "maya",
	"mei", "mia", "mohammed", "nadia", "nina", "noah", "nora", "olga", "omar",
	"oscar", "paolo", "priya", "rafael", "ravi", "rosa", "sam", "sara", "sofia",
	"tariq", "theo", "tomas", "valentina", "wei", "yara", "yusuf", "zara", "zoe",
}

var lastNames = []string{
	"abe", "adeyemi", "ahmed", "alvarez", "andersen", "bauer", "becker",
	"bianchi", "brown", "campbell", "chen", "costa", "cruz", "dasilva", "dubois",
	"eriksson", "fernandes", "fischer", "garcia", "gonzalez", "gupta", "hansen",
	"hoffmann", "hughes", "ibrahim", "ito", "jansen", "johnson", "kaur", "kim",
	"kowalski", "kumar", "larsen", "lee", "lopez", "martin", "meyer", "mueller",
	"murphy", "nakamura", "nguyen", "novak", "obrien", "okafor", "olsen",
	"patel", "perez", "petrov", "popescu", "rossi", "santos", "sato", "schmidt",
	"silva", "singh", "smith", "suzuki", "tanaka", "taylor", "thompson",
	"torres", "wagner", "walker", "wang", "weber", "williams", "wilson", "wong",
	"yamamoto", "zhang",
}

var languages = []string{"go", "java", "kotlin", "typescript", "python", "rust", "scala", "csharp"}

var verbs = []string{
	"stores", "validates", "reconciles", "publishes", "aggregates", "routes",
	"indexes", "schedules", "enriches", "exports", "tracks", "serves",
}
