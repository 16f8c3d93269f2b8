-- Search folds accents and case in PostgreSQL as it does in SQLite, whose
-- index tokenizes with unicode61 remove_diacritics 2 (0011_search.sql):
-- "Societe Generale" finds "Société Générale", "café" finds "cafe", and
-- both databases give the same answers to the same search. search_fold
-- turns a text into what SQLite's tokenizer makes of its letters: the
-- index function below folds an item's text before to_tsvector, and a
-- search folds its words the same way before phraseto_tsquery (search.go).
-- Letters SQLite keeps stay as they are: ø, æ, ß, ł and the Greek and
-- Cyrillic letters (й stays й).
--
-- The table covers every letter and combining mark of Latin-1
-- Supplement, Latin Extended-A and -B, the combining diacritical marks
-- and Latin Extended Additional that SQLite changes: a letter becomes its
-- letter without accents, in lower case (É to e, Ș to s, ſ to s); a mark
-- SQLite drops inside a word is dropped; one that ends a word there
-- becomes a space. It is generated from SQLite's tokenizer, not typed:
-- TestSearchFoldLikeSQLite (store/fold_test.go) indexes each of those
-- letters and marks in both databases, and prints this table from
-- SQLite's answers when the two differ.
--
-- Core PostgreSQL only (14 or later): the unaccent extension is contrib
-- and needs the right to create extensions, and normalize() to NFD folds
-- more than SQLite does (Greek tonos, й to и) and not all it does (ſ).
-- translate() looks each character of the text up in its list from the
-- start, so characters that stay come first, the most frequent first, and
-- a text with none of the table's characters is not translated at all.
-- Folding an item of 3,500 characters with accented words takes about
-- 0.5 ms, as long as tokenizing it (indexing it takes about 1.2 ms in
-- all); one with none, about 0.015 ms for the regular expression.
CREATE FUNCTION search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
SELECT CASE WHEN t ~ E'[\u00b5-\u00ff\u0100-\u017f\u0181-\u024e\u0300-\u036f\u1e00-\u1efe]' THEN translate(t,
        E' etaoinsrhldcumfpgwybvkxjqzETAOINSRHLDCUMFPGWYBVKXJQZ0123456789.,-\'’"“”‘:;()/–—…!?&%$#@*+=<>[]_{}|~`^«»·•' ||
        E'àáâãäåçèéêëìíîïñòóôõöùúûüýÿµÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞĀāĂăĄą' ||
        E'ĆćĈĉĊċČčĎďĐĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦĨĩĪīĬĭĮįİĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎ' ||
        E'ŏŐőŒŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘ' ||
        E'ƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅǇǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǢǤǦǧǨǩǪǫǬǭǮǰǱǲǴǵǶǷ' ||
        E'ǸǹǺǻǼǾȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈ' ||
        E'ɊɌɎḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼ' ||
        E'ḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼ' ||
        E'ṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẞẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀ' ||
        E'ềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹỺỼỾ' ||
        E'\u0305\u030d\u030e\u0310\u0312\u0313\u0314\u0315\u0316\u0317\u0318\u0319\u031a\u031c\u031d\u031e\u031f\u0320\u0321\u0322\u0329\u032a\u032b\u032c\u032f\u0332\u0333\u0334\u0335\u0336\u0337\u0338\u0339\u033a\u033b\u033c\u033d\u033e\u033f\u0340\u0341\u0342\u0343\u0344\u0345\u0346\u0347\u0348\u0349\u034a\u034b\u034c\u034d\u034e\u034f\u0350\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358' ||
        E'\u0359\u035a\u035b\u035c\u035d\u035e\u035f\u0360\u0361\u0362\u0363\u0364\u0365\u0366\u0367\u0368\u0369\u036a\u036b\u036c\u036d\u036e\u036f' ||
        E'\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u0309\u030a\u030b\u030c\u030f\u0311\u031b\u0323\u0324\u0325\u0326\u0327\u0328\u032d\u032e\u0330\u0331',
        E' etaoinsrhldcumfpgwybvkxjqzETAOINSRHLDCUMFPGWYBVKXJQZ0123456789.,-\'’"“”‘:;()/–—…!?&%$#@*+=<>[]_{}|~`^«»·•' ||
        E'aaaaaaceeeeiiiinooooouuuuyyμaaaaaaæceeeeiiiiðnoooooøuuuuyþaaaaaa' ||
        E'ccccccccddđeeeeeeeeeegggggggghhħiiiiiiiiiĳjjkkllllllŀłnnnnnnŋooo' ||
        E'oooœrrrrrrssssssssttttŧuuuuuuuuuuuuwwyyyzzzzzzsɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙ' ||
        E'ɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆǉǉǌǌaaiioouuuuuuuuuuaaǡǣǥggkkooooǯjǳǳggƕƿ' ||
        E'nnaaǽǿaaaaeeeeiiiioooorrrruuuussttȝhhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉ' ||
        E'ɋɍɏaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkklllllll' ||
        E'lmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuv' ||
        E'vvvwwwwwwwwwwxxxxyyzzzzzzhtwysßaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeee' ||
        E'eeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyỻỽỿ' ||
        E'                                                                ' ||
        E'                       ')
ELSE t END
$$;

CREATE OR REPLACE FUNCTION item_search_tsv(title TEXT, summary TEXT, content TEXT, body TEXT) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple', search_fold(left(title || ' ' || summary || ' ' || content || ' ' || body, 500000))) $$;

-- The items indexed so far are indexed again, in the background, from a
-- queue of their own: item_search_pending holds what a search must find
-- (new and changed items), and a search indexes all of it before it reads,
-- so a whole archive noted there would hold up the first search after the
-- upgrade (50,000 items of 3,500 characters, half with accented words,
-- took 68 s; a million would take twenty minutes). item_search_again is
-- read only by IndexAgain (index.go), which a console's or daemon's start
-- runs in the background (app.IndexBacklog), in transactions of a tenth of
-- a second; until an item's turn, a search finds it by its words as they
-- were indexed (accents kept). The migration only notes the IDs (0.25 s
-- for 50,000 items on a test machine). An item whose words did not change
-- costs its tokenizing (its row is left as it is), one whose words did, a
-- rewrite of its row and index entries.
CREATE TABLE item_search_again (
    item_id BIGINT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
);
INSERT INTO item_search_again (item_id) SELECT item_id FROM item_search;
