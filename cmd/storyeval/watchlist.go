package main

// builtinWatchlist makes the shared sample company-centred: the entities
// of its business and technology stories, as a user tracking them would
// write them (each with all_news = true). The entertainment stories match
// none of them and stay out of the digest, except where a headline names
// one (CloudFlare's co-founder in the "ban bossy" campaign).
var builtinWatchlist = []company{
	{Name: "Federal Reserve", Aliases: []string{"Fed", "FOMC", "Plosser", "Yellen"}},
	{Name: "Bank of England", Aliases: []string{"BoE", "Carney"}},
	{Name: "European Central Bank", Aliases: []string{"ECB"}},
	{Name: "OECD"},
	{Name: "SEC", Aliases: []string{"Securities and Exchange Commission"}},
	{Name: "Fannie Mae", Aliases: []string{"Fannie"}},
	{Name: "Freddie Mac", Aliases: []string{"Freddie"}},
	{Name: "Netflix", Aliases: []string{"NFLX", "House of Cards"}},
	{Name: "Comcast", Aliases: []string{"Xfinity"}},
	{Name: "CloudFlare"},
	{Name: "LeanIn.Org", Aliases: []string{"Lean In", "Ban Bossy", "Sandberg"}},
	{Name: "Pono", Aliases: []string{"PonoPlayer", "PonoMusic", "Neil Young"}},
	{Name: "Stock market", Aliases: []string{"Wall Street", "Dow", "Dow Jones", "S&P 500", "Nasdaq", "stocks", "stock market", "equities", "bull market"}},
	{Name: "Metro-North", Aliases: []string{"MTA", "Metropolitan Transportation Authority"}},
	{Name: "AAA", Aliases: []string{"GasBuddy"}},
	{Name: "Jacksonville Jaguars", Aliases: []string{"Jaguars"}},
	{Name: "Medical Marijuana Inc", Aliases: []string{"MJNA", "Cannabis Science", "CBIS"}},
	{Name: "Boeing"},
}
